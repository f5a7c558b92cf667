//! One member of the reward ensemble: an MLP on (observation, action) giving a per-step reward.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::leaky_relu;

#[derive(Config, Debug)]
pub struct RewardNetConfig {
    /// Observation plus action size.
    pub d_input: usize,
    #[config(default = 64)]
    pub d_hidden: usize,
    /// tanh on the output (RewardConfig::bounded).
    #[config(default = false)]
    pub bounded: bool,
}

#[derive(Module, Debug)]
pub struct RewardNet {
    input: Linear,
    hidden: Linear,
    output: Linear,
    bounded: bool,
}

impl RewardNetConfig {
    pub fn init(&self, device: &Device) -> RewardNet {
        let layer = |i, o| {
            let mut l = LinearConfig::new(i, o).init(device);
            l.bias = Some(Param::from_tensor(Tensor::zeros([o], device)));
            l
        };
        RewardNet {
            input: layer(self.d_input, self.d_hidden),
            hidden: layer(self.d_hidden, self.d_hidden),
            output: layer(self.d_hidden, 1),
            bounded: self.bounded,
        }
    }
}

impl RewardNet {
    /// Per-step rewards for rows of (observation, action): [rows, d_input] -> [rows].
    pub fn forward(&self, x: Tensor<2>) -> Tensor<1> {
        let x = leaky_relu(self.input.forward(x), 0.01);
        let x = leaky_relu(self.hidden.forward(x), 0.01);
        let r = self.output.forward(x).squeeze_dim(1);
        if self.bounded { r.tanh() } else { r }
    }

    /// Sum of L2 norms squared of every weight (for the adaptive L2 penalty).
    pub fn l2(&self) -> Tensor<1> {
        self.input.weight.val().square().sum()
            + self.hidden.weight.val().square().sum()
            + self.output.weight.val().square().sum()
    }
}
