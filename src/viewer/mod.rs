//! The desktop viewer (bevy): two clips side by side, answers by key or button, a HUD, and the
//! current policy to watch. `ViewerLogicPlugin` holds all behaviour and runs headless in the
//! tests; `ViewerDrawPlugin` draws it.

pub mod draw;
pub mod input;
pub mod session;

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::WindowResolution;

pub use draw::{BodyPart, ViewerDrawPlugin, ViewerPosePlugin, ViewerScene};
pub use input::{ViewerLogicPlugin, key_action};
pub use session::{LabelSession, Mode, ViewerAction};

use crate::prefs::person::ViewerLink;
use crate::scene::Scene;

/// For scripted runs of the window (tests, screenshots, frame-rate measurements).
#[derive(Resource, Clone, Debug, Default)]
pub struct WindowOptions {
    /// Save a screenshot of the window after this many seconds...
    pub screenshot: Option<(PathBuf, f32)>,
    /// ...and close the window after this many seconds.
    pub exit_after: Option<f32>,
    /// Print the smoothed frame rate to stderr every 2 seconds.
    pub print_fps: bool,
    /// Start watching the policy (P) rather than labelling.
    pub watch: bool,
}

/// Opens the window on this thread (it must be the main thread) and returns when it closes.
pub fn run_window(scene: Scene, link: ViewerLink, options: WindowOptions) {
    let mut session = LabelSession::new(link.queries, link.withdraw, link.status).with_judge(crate::task::Task::for_scene(&scene));
    if options.watch {
        session.mode = Mode::WatchPolicy;
    }
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "backflip: which is the better backflip?".into(),
                resolution: WindowResolution::new(1280, 720),
                ..default()
            }),
            ..default()
        }))
        .add_plugins((ViewerLogicPlugin, ViewerPosePlugin, ViewerDrawPlugin))
        .insert_resource(session)
        .insert_resource(ViewerScene(scene))
        .insert_resource(options)
        .add_systems(Update, scripted)
        .run();
}

#[allow(clippy::too_many_arguments)] // a bevy system: each argument is a resource it reads
fn scripted(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    options: Res<WindowOptions>,
    time: Res<Time>,
    mut shot_taken: Local<bool>,
    mut last_fps: Local<f32>,
    diagnostics: Res<bevy::diagnostic::DiagnosticsStore>,
    mut exit: MessageWriter<AppExit>,
) {
    let t = time.elapsed_secs();
    if let Some((path, at)) = &options.screenshot
        && t >= *at
        && !*shot_taken
    {
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
        *shot_taken = true;
    }
    if options.print_fps && t - *last_fps >= 2.0 {
        *last_fps = t;
        if let Some(fps) = diagnostics.get(&bevy::diagnostic::FrameTimeDiagnosticsPlugin::FPS).and_then(|d| d.smoothed()) {
            eprintln!("fps {fps:.1}");
        }
    }
    if options.exit_after.is_some_and(|e| t >= e) || keys.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
}
