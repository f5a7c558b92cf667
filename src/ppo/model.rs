//! The actor-critic: a Gaussian policy with a state-independent log standard deviation, and a
//! value network. Two separate MLPs, as in CleanRL's continuous-action PPO.

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation;

use super::config::Activation;

#[derive(Config, Debug)]
pub struct MlpConfig {
    pub d_input: usize,
    pub d_hidden: usize,
    pub d_output: usize,
    /// Scale of the orthogonal-like initialisation of the output layer (small for the policy
    /// mean, so that early actions are near zero).
    #[config(default = 1.0)]
    pub output_gain: f64,
}

#[derive(Module, Debug)]
pub struct Mlp {
    input: Linear,
    hidden: Linear,
    output: Linear,
    #[module(skip)]
    activation: Activation,
}

impl MlpConfig {
    pub fn init(&self, activation: Activation, device: &Device) -> Mlp {
        let layer = |i, o, gain: f64| {
            let mut l = LinearConfig::new(i, o)
                .with_initializer(Initializer::XavierUniform { gain })
                .init(device);
            // Zero biases, as CleanRL initialises them.
            l.bias = Some(Param::from_tensor(Tensor::zeros([o], device)));
            l
        };
        Mlp {
            input: layer(self.d_input, self.d_hidden, 2f64.sqrt()),
            hidden: layer(self.d_hidden, self.d_hidden, 2f64.sqrt()),
            output: layer(self.d_hidden, self.d_output, self.output_gain),
            activation,
        }
    }
}

impl Mlp {
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let x = self.act(self.input.forward(x));
        let x = self.act(self.hidden.forward(x));
        self.output.forward(x)
    }

    fn act(&self, x: Tensor<2>) -> Tensor<2> {
        match self.activation {
            Activation::Tanh => activation::tanh(x),
            Activation::Relu => activation::relu(x),
        }
    }
}

#[derive(Config, Debug)]
pub struct AgentConfig {
    pub obs_dim: usize,
    pub action_dim: usize,
    pub hidden: usize,
    pub init_log_std: f32,
}

#[derive(Module, Debug)]
pub struct Agent {
    pub actor: Mlp,
    pub critic: Mlp,
    /// Log standard deviation of each action dimension, the same in every state.
    pub log_std: Param<Tensor<1>>,
}

impl AgentConfig {
    pub fn init(&self, activation: Activation, device: &Device) -> Agent {
        Agent {
            actor: MlpConfig::new(self.obs_dim, self.hidden, self.action_dim)
                .with_output_gain(0.01)
                .init(activation, device),
            critic: MlpConfig::new(self.obs_dim, self.hidden, 1).init(activation, device),
            log_std: Param::from_tensor(Tensor::full([self.action_dim], self.init_log_std, device)),
        }
    }
}

impl Agent {
    /// Policy mean, [batch, action_dim].
    pub fn mean(&self, obs: Tensor<2>) -> Tensor<2> {
        self.actor.forward(obs)
    }

    /// State value, [batch].
    pub fn value(&self, obs: Tensor<2>) -> Tensor<1> {
        self.critic.forward(obs).squeeze_dim(1)
    }
}
