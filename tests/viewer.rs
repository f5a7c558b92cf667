//! The viewer's logic, headless: keys and buttons give the right answers in the store, undo
//! appends a withdrawal, the empty queue, pause and speed. No window, no GPU.
#![cfg(feature = "viewer")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use backflip::clip::ClipDir;
use backflip::prefs::stages::Backend;
use backflip::prefs::person::{TrainingStatus, link};
use backflip::prefs::{Answer, ComparisonStore, PrefConfig, StageSetup, TrainerEvent, Who, stages};
use backflip::rollout::{self, FixedPolicy};
use backflip::scene::Scene;
use backflip::viewer::input::ActionButton;
use backflip::viewer::{LabelSession, Mode, ViewerAction, ViewerLogicPlugin};
use bevy::prelude::*;

mod common;
use common::Scratch;

fn app(session: LabelSession) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins(ViewerLogicPlugin).insert_resource(session).init_resource::<ButtonInput<KeyCode>>();
    app
}

/// Presses and releases a key over one frame, as a person would.
fn tap(app: &mut App, key: KeyCode) {
    app.world_mut().resource_mut::<ButtonInput<KeyCode>>().press(key);
    app.update();
    let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    keys.release(key);
    keys.clear();
}

fn session(app: &App) -> &LabelSession {
    app.world().resource::<LabelSession>()
}

fn wait_for_query(app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while session(app).current.is_none() {
        assert!(Instant::now() < deadline, "no query reached the window");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn keys_and_buttons_answer_into_the_store_and_undo_withdraws() {
    let dir = Scratch::fresh("viewer");
    let scene = Scene::builtin("hopper-backflip").unwrap();
    let (viewer, trainer) = link("ada");
    let setup = StageSetup {
        backend: Backend::Folder { store: dir.join("comparisons.jsonl"), clips: ClipDir::new(dir.join("clips")) },
        config: PrefConfig { comparisons: 100, pretrain_epochs: 1, ..Default::default() },
        scene: scene.clone(),
        device: backflip::device::DeviceKind::Flex.device().unwrap(),
        seed: 0,
        withdraw: Some(trainer.withdraw),
    };
    let stages = stages::start(setup, Some(Box::new(trainer.labeler))).unwrap();
    stages.offer_clips(rollout::record(Arc::new(scene), FixedPolicy::Random, 188 * 12, 2).unwrap());
    stages.want(4);

    let mut app = app(LabelSession::new(viewer.queries, viewer.withdraw, viewer.status));
    let button = app.world_mut().spawn((ActionButton(ViewerAction::Answer(Answer::Right)), Interaction::None)).id();

    wait_for_query(&mut app);
    let first = session(&app).current.as_ref().map(|q| q.left.id.clone()).unwrap();
    tap(&mut app, KeyCode::ArrowLeft);
    assert_eq!(session(&app).answered, 1);
    assert!(session(&app).flash.is_some(), "the answer flashes");

    wait_for_query(&mut app);
    *app.world_mut().get_mut::<Interaction>(button).unwrap() = Interaction::Pressed;
    app.update();
    *app.world_mut().get_mut::<Interaction>(button).unwrap() = Interaction::None;

    wait_for_query(&mut app);
    tap(&mut app, KeyCode::ArrowUp);
    wait_for_query(&mut app);
    tap(&mut app, KeyCode::ArrowDown);
    tap(&mut app, KeyCode::Backspace); // takes back "can't tell"
    assert_eq!(session(&app).answered, 3);

    // The trainer writes answers and the withdrawal; wait until the store says 3 in force.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(TrainerEvent::Answered(n)) = stages.from_trainer.recv_timeout(Duration::from_millis(200)) {
            let lines = std::fs::read_to_string(dir.join("comparisons.jsonl")).unwrap().lines().count();
            if n == 3 && lines == 5 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the answers did not reach the store");
    }
    let (store, corrupt) = ComparisonStore::open(&dir.join("comparisons.jsonl")).unwrap();
    assert!(corrupt.is_empty());
    let answers: Vec<Answer> = store.comparisons().iter().map(|c| c.answer).collect();
    assert_eq!(answers, vec![Answer::Left, Answer::Right, Answer::Equal]);
    assert_eq!(store.comparisons()[0].left, first);
    assert!(store.comparisons().iter().all(|c| c.labeler == Who::person("ada")));
    let text = std::fs::read_to_string(dir.join("comparisons.jsonl")).unwrap();
    assert!(text.lines().last().unwrap().contains("withdrawal"), "undo appends, deletes nothing");
}

#[test]
fn an_empty_queue_shows_the_policy_and_p_toggles_watching() {
    let (viewer, trainer) = link("ada");
    let clip = rollout::record(Arc::new(Scene::builtin("hopper-backflip").unwrap()), FixedPolicy::Zero, 188, 1).unwrap().remove(0);
    trainer.status.send(TrainingStatus { policy_episode: Some(Arc::new(clip)), policy_flips: 0, ..Default::default() }).unwrap();
    let mut app = app(LabelSession::new(viewer.queries, viewer.withdraw, viewer.status));
    app.update();
    let s = session(&app);
    assert!(s.current.is_none() && s.waiting() == 0);
    assert_eq!(s.mode, Mode::Label);
    assert_eq!(s.clips().len(), 1, "with no query waiting, the policy's episode is shown");
    tap(&mut app, KeyCode::ArrowLeft); // nothing to answer: nothing happens
    assert_eq!(session(&app).answered, 0);
    tap(&mut app, KeyCode::KeyP);
    assert_eq!(session(&app).mode, Mode::WatchPolicy);
    tap(&mut app, KeyCode::KeyP);
    assert_eq!(session(&app).mode, Mode::Label);
}

#[test]
fn pause_speed_and_restart() {
    let (viewer, _trainer) = link("ada");
    let mut app = app(LabelSession::new(viewer.queries, viewer.withdraw, viewer.status));
    app.update();
    app.world_mut().resource_mut::<LabelSession>().playback.time = 0.5;
    tap(&mut app, KeyCode::Space);
    assert!(session(&app).playback.paused);
    let at = session(&app).playback.time;
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(5));
        app.update();
    }
    assert_eq!(session(&app).playback.time, at, "paused: time stands still");
    tap(&mut app, KeyCode::Space);
    std::thread::sleep(Duration::from_millis(20));
    app.update();
    assert!(session(&app).playback.time > at, "playing again");
    tap(&mut app, KeyCode::BracketRight);
    assert_eq!(session(&app).playback.speed, 1.5);
    tap(&mut app, KeyCode::BracketLeft);
    tap(&mut app, KeyCode::BracketLeft);
    assert_eq!(session(&app).playback.speed, 0.5);
    for _ in 0..10 {
        tap(&mut app, KeyCode::BracketLeft);
    }
    assert_eq!(session(&app).playback.speed, 0.125, "the slowest speed holds");
    tap(&mut app, KeyCode::KeyR);
    assert!(session(&app).playback.time < 0.05, "R restarts both clips");
}

/// The policy view draws the policy's hopper wherever it is: while training reports every
/// iteration (mostly without a new episode), the hopper's body entities stay visible and the
/// camera frames them, from its first steps to its last (the hopper may travel).
#[test]
fn the_policy_view_draws_the_policy_in_the_camera_s_view() {
    use backflip::viewer::{BodyPart, ViewerPosePlugin, ViewerScene};
    let (viewer, trainer) = link("ada");
    let scene = Scene::builtin("hopper-backflip").unwrap();
    // A whole episode of random torques: it falls and moves about.
    let clip = rollout::record(Arc::new(scene.clone()), FixedPolicy::Random, 1000, 4).unwrap();
    let episode: Vec<_> = clip.into_iter().flat_map(|c| c.steps).collect();
    let clip = backflip::clip::Clip { id: "policy".into(), scene: scene.name.clone(), seed: 0, start_step: 0, control_dt: 0.008, steps: episode };
    trainer.status.send(TrainingStatus { policy_episode: Some(Arc::new(clip.clone())), ..Default::default() }).unwrap();
    let mut app = app(LabelSession::new(viewer.queries, viewer.withdraw, viewer.status));
    app.add_plugins(ViewerPosePlugin).insert_resource(ViewerScene(scene.clone()));
    app.update();
    // Later statuses carry no episode (as most iterations' do): the policy stays in view.
    for _ in 0..3 {
        trainer.status.send(TrainingStatus { comparisons: 5, ..Default::default() }).unwrap();
        app.update();
    }
    let fov = std::f32::consts::FRAC_PI_4; // bevy's default perspective
    for at in [0.0, 2.0, 4.0, 7.9] {
        app.world_mut().resource_mut::<LabelSession>().playback.time = at;
        // The camera eases towards the hopper: give it frames to arrive.
        for _ in 0..60 {
            app.update();
        }
        let world = app.world_mut();
        let cam = *world.query_filtered::<&Transform, With<Camera3d>>().single(world).unwrap();
        let view = cam.to_matrix().inverse();
        let mut seen = 0;
        for (part, t, v) in world.query::<(&BodyPart, &Transform, &Visibility)>().iter(world) {
            if part.slot != 0 {
                assert_eq!(*v, Visibility::Hidden, "one clip: the right-hand hopper is hidden");
                continue;
            }
            assert_eq!(*v, Visibility::Visible, "body {} of the policy's hopper at {at} s", part.body);
            let p = view.transform_point3(t.translation);
            let depth = -p.z;
            assert!(depth > 0.5, "body {} is in front of the camera at {at} s: {p}", part.body);
            let half = (fov / 2.0).tan() * depth;
            assert!(p.y.abs() < half && p.x.abs() < half * 16.0 / 9.0, "body {} is in the picture at {at} s: {p}", part.body);
            seen += 1;
        }
        assert_eq!(seen, scene.bodies.len());
    }
}

/// The HUD says what training is doing, and does not show a percentage from a handful of
/// held-out comparisons.
#[test]
fn the_hud_tells_the_truth_about_training() {
    use backflip::prefs::person::TrainingPhase;
    let (viewer, trainer) = link("ada");
    let mut app = app(LabelSession::new(viewer.queries, viewer.withdraw, viewer.status));
    let mut say = |status: TrainingStatus| {
        trainer.status.send(status).unwrap();
        app.update();
        let s = session(&app);
        (s.state_line(), s.accuracy_text())
    };
    let (line, accuracy) = say(TrainingStatus { reward_val_accuracy: Some(0.0), reward_val_pairs: 3, ..Default::default() });
    assert!(line.contains("no query waiting") && line.contains("training starts"), "{line}");
    assert!(accuracy.contains("only 3 held-out") && !accuracy.contains('%'), "{accuracy}");
    let (line, accuracy) = say(TrainingStatus {
        phase: TrainingPhase::WaitingForAnswers { needed: 40 },
        comparisons: 33,
        reward_val_accuracy: Some(0.8),
        reward_val_pairs: 25,
        ..Default::default()
    });
    assert!(line.contains("training waits for your answers: 7 more"), "{line}");
    assert_eq!(accuracy, "80% of 25 held out");
    let (line, _) = say(TrainingStatus { phase: TrainingPhase::Exploring { until_steps: 1_000_000 }, env_steps: 245_760, ..Default::default() });
    assert!(line.contains("exploring before the first comparisons: 245760 of 1000000"), "{line}");
    let (line, _) = say(TrainingStatus { phase: TrainingPhase::Ended { finished: true }, ..Default::default() });
    assert!(line.contains("training has ended"), "{line}");
}
