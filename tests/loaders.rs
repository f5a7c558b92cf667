//! Every loader, fed mutated and generated inputs: scenes, PPO settings, reward weights,
//! comparison lines and clip files give an error or a valid value, never a panic; and a
//! scene or a PPO configuration that loads also runs.

use std::path::Path;
use std::sync::Arc;

use backflip::clip::Clip;
use backflip::hopper_env::{EnvReward, EnvSpec, HopperEnv};
use backflip::ppo::{Ppo, PpoConfig, PpoEnv};
use backflip::prefs::ComparisonStore;
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;
use backflip::task::HandwrittenBackflipReward;
use proptest::prelude::*;

mod common;
use common::Scratch;

const SCENE: &str = include_str!("../scenes/hopper-backflip.ron");

/// The numbers in a text, as (start, end) byte ranges.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() || (bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if starts && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) {
            let start = i;
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'e') {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Values a number in a file may be replaced with: zero, negatives, huge, tiny, not numbers.
fn odd_number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("0.0".to_string()),
        Just("-1.0".to_string()),
        Just("1e30".to_string()),
        Just("1e-30".to_string()),
        Just("-0.0001".to_string()),
        Just("".to_string()),
        Just("x".to_string()),
        (-1000.0f64..1000.0).prop_map(|v| format!("{v}")),
        (0u32..100).prop_map(|v| v.to_string()),
    ]
}

/// A scene that loads is built and stepped (random full torques) without a panic.
fn run_scene(scene: Scene) {
    let scene = Arc::new(scene);
    let mut env = HopperEnv::new(scene.clone(), EnvSpec::reward(EnvReward::Zero), 1, 0).unwrap();
    let n = scene.action_dim();
    let mut sign = 1.0;
    env.play(50, |_| {
        sign = -sign;
        vec![sign; n]
    })
    .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_scene_with_a_number_replaced_loads_or_is_an_error(which in any::<prop::sample::Index>(), value in odd_number()) {
        let spans = numbers(SCENE);
        let (a, b) = spans[which.index(spans.len())];
        let text = format!("{}{}{}", &SCENE[..a], value, &SCENE[b..]);
        if let Ok(scene) = Scene::parse(&text, Path::new("mutated.ron")) {
            run_scene(scene);
        }
    }

    #[test]
    fn a_scene_with_bytes_cut_or_changed_loads_or_is_an_error(at in any::<prop::sample::Index>(), len in 0usize..40, byte in any::<u8>()) {
        let mut bytes = SCENE.as_bytes().to_vec();
        let at = at.index(bytes.len());
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, [byte]);
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(scene) = Scene::parse(&text, Path::new("mutated.ron")) {
            run_scene(scene);
        }
    }

    #[test]
    fn ppo_settings_load_and_run_or_are_an_error(field in 0usize..21, value in odd_number()) {
        let defaults = serde_json::to_value(PpoConfig { num_envs: 2, num_steps: 8, num_minibatches: 2, update_epochs: 1, hidden: 8, ..PpoConfig::default() }).unwrap();
        let mut text = defaults.to_string();
        let spans = numbers(&text);
        if let Some(&(a, b)) = spans.get(field % spans.len().max(1)) {
            text = format!("{}{}{}", &text[..a], value, &text[b..]);
        }
        let Ok(config) = serde_json::from_str::<PpoConfig>(&text) else { return Ok(()) };
        if config.validate().is_ok() && config.batch_size() <= 4096 && config.hidden <= 256 {
            let scene = Arc::new(Scene::builtin("hopper-backflip").unwrap());
            let mut env = HopperEnv::new(scene.clone(), EnvSpec::reward(EnvReward::Handwritten(Default::default())), config.num_envs, 1).unwrap();
            let mut ppo = Ppo::new(config, env.obs_dim(), env.action_dim(), &backflip::device::DeviceKind::Flex.device().unwrap(), 1);
            // Extreme but valid settings may make the networks' numbers blow up: that is an
            // error naming the bad action, never a panic.
            if let Err(e) = ppo.iterate(&mut env, 1) {
                prop_assert!(e.to_string().contains("not a finite number"), "{e}");
            }
        }
    }

    #[test]
    fn reward_weights_load_or_are_an_error(field in 0usize..20, value in odd_number()) {
        let mut text = serde_json::to_value(HandwrittenBackflipReward::default()).unwrap().to_string();
        let spans = numbers(&text);
        let (a, b) = spans[field % spans.len()];
        text = format!("{}{}{}", &text[..a], value, &text[b..]);
        if let Ok(w) = serde_json::from_str::<HandwrittenBackflipReward>(&text) {
            let _ = w.validate();
        }
    }

    #[test]
    fn a_comparison_store_with_damaged_lines_opens_with_them_reported(cut in any::<prop::sample::Index>(), byte in any::<u8>(), len in 0usize..30) {
        let dir = Scratch::new("prop-store");
        let path = dir.join("comparisons.jsonl");
        let good = concat!(
            r#"{"type":"comparison","id":0,"left":"a","right":"b","answer":"left","labeler":{"who":"human"},"time_ms":1,"response_ms":2}"#, "\n",
            r#"{"type":"comparison","id":1,"left":"c","right":"d","answer":"equal","labeler":{"who":"teacher","kind":"rational","beta":10.0,"eps":0.1,"equal_threshold":0.05,"skip_threshold":0.0,"gamma":0.9},"time_ms":1,"response_ms":2}"#, "\n",
            r#"{"type":"withdrawal","id":0,"time_ms":3}"#, "\n",
        );
        let mut bytes = good.as_bytes().to_vec();
        let at = cut.index(bytes.len());
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, [byte]);
        std::fs::write(&path, &bytes).unwrap();
        let (store, corrupt) = ComparisonStore::open(&path).unwrap();
        let lines = String::from_utf8_lossy(&bytes).lines().filter(|l| !l.trim().is_empty()).count();
        prop_assert!(store.len() + corrupt.len() <= lines);
    }

    #[test]
    fn a_clip_file_with_bytes_changed_loads_or_is_an_error(at in any::<prop::sample::Index>(), bytes_in in prop::collection::vec(any::<u8>(), 1..8), cut in 0usize..64) {
        let clip = rollout::record(Arc::new(Scene::builtin("hopper-backflip").unwrap()), FixedPolicy::Random, 30, 2).unwrap().remove(0);
        let mut bytes = clip.to_bytes();
        let at = at.index(bytes.len());
        let end = (at + cut).min(bytes.len());
        bytes.splice(at..end, bytes_in);
        let _ = Clip::from_bytes(&bytes, Path::new("mutated.clip"));
    }
}
