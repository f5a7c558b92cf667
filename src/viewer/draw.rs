//! Drawing: two hoppers from recorded body poses, a ground with a grid, a trail of the torso,
//! a camera that frames both, the HUD and the answer buttons.

use bevy::asset::embedded_asset;
use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::render_resource::AsBindGroup;
use bevy::shader::ShaderRef;
use bevy::text::FontSize;

use super::input::ActionButton;
use super::session::{LabelSession, ViewerAction};
use crate::clip::Clip;
use crate::prefs::Answer;
use crate::scene::Scene;

/// The scene whose bodies are drawn.
#[derive(Resource, Clone)]
pub struct ViewerScene(pub Scene);

/// Where on screen each clip's hopper stands, left and right, in metres.
const LANE: [f32; 2] = [-1.3, 1.3];
const COLORS: [Color; 2] = [Color::srgb(0.85, 0.45, 0.25), Color::srgb(0.25, 0.55, 0.85)];
/// The ground plane reaches far enough that its far edge sits on the horizon, and wide enough
/// for the longest episode a policy can play (8 s at 10 m/s).
const GROUND_HALF_WIDTH: f32 = 200.0;
const GROUND_HALF_DEPTH: f32 = 300.0;

/// A base colour lit by one fixed light (src/viewer/flat.wgsl): the hoppers' and the ground's
/// material. The ground's grid is drawn by the same shader.
#[derive(Asset, TypePath, AsBindGroup, Clone)]
struct FlatMaterial {
    #[uniform(0)]
    color: LinearRgba,
    /// Grid lines: x the spacing in metres (0: none), y how far from z = 0 they reach, z
    /// their opacity.
    #[uniform(1)]
    grid: Vec4,
}

impl FlatMaterial {
    fn plain(color: Color) -> FlatMaterial {
        FlatMaterial { color: color.into(), grid: Vec4::ZERO }
    }
}

impl Material for FlatMaterial {
    fn fragment_shader() -> ShaderRef {
        "embedded://backflip/viewer/flat.wgsl".into()
    }
}

/// One body of the hopper in `slot` (0 left, 1 right; a single clip is drawn from slot 0).
#[derive(Component)]
pub struct BodyPart {
    pub slot: usize,
    pub body: usize,
}

#[derive(Component)]
struct HudText;

#[derive(Component)]
struct FlashText;

#[derive(Component)]
struct SideLabel;

/// rapier's frame (z up) to bevy's (y up): (x, y, z) -> (x, z, -y).
pub fn to_bevy(p: [f32; 3]) -> Vec3 {
    Vec3::new(p[0], p[2], -p[1])
}

fn rot_to_bevy(q: [f32; 4]) -> Quat {
    Quat::from_xyzw(q[0], q[2], -q[1], q[3])
}

/// Where slot `slot`'s body `body` is drawn at `step` of `clip`.
fn body_transform(clip: &Clip, step: usize, slot: usize, body: usize) -> Transform {
    let pose = clip.steps[step].poses[body];
    let origin = clip.steps[0].poses[0].pos[0];
    let mut pos = to_bevy(pose.pos);
    pos.x += LANE[slot] - origin;
    Transform::from_translation(pos).with_rotation(rot_to_bevy(pose.rot))
}

/// The camera and one entity per body of each of the two hoppers, posed every frame from the
/// clips on screen: all that decides what is in view, with no rendering, so that it runs (and
/// is tested) headless.
pub struct ViewerPosePlugin;

impl Plugin for ViewerPosePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, spawn_camera_and_parts).add_systems(Update, (update_bodies, follow).chain().after(super::input::poll));
    }
}

fn spawn_camera_and_parts(mut commands: Commands, scene: Res<ViewerScene>) {
    commands.spawn((Camera3d::default(), Transform::from_xyz(0.0, 1.2, 4.5).looking_at(Vec3::new(0.0, 0.9, 0.0), Vec3::Y)));
    for slot in 0..COLORS.len() {
        for body in 0..scene.0.bodies.len() {
            commands.spawn((BodyPart { slot, body }, Transform::default(), Visibility::Hidden));
        }
    }
}

/// Gives the camera its (cheap) render settings and every body part its capsule.
fn dress(
    mut commands: Commands,
    scene: Res<ViewerScene>,
    camera: Query<Entity, With<Camera3d>>,
    parts: Query<(Entity, &BodyPart)>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<FlatMaterial>>,
) {
    // No multisampling, shadow maps or tonemapping, one camera, and the grid drawn by the
    // ground's own shader rather than as lines: the viewer must run on software rendering
    // (llvmpipe), where every covered pixel and every pass over the window counts. The ground
    // uses the flat material because bevy's standard one there cost more than everything else
    // together (docs/notebook/2026-11-27-viewer-frame-rate.md).
    for cam in &camera {
        commands.entity(cam).insert((Msaa::Off, bevy::core_pipeline::tonemapping::Tonemapping::None));
    }
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::new(Vec3::Y, Vec2::new(GROUND_HALF_WIDTH, GROUND_HALF_DEPTH)))),
        // Lines a metre apart, 4 m either side of the hoppers: enough for motion to read.
        MeshMaterial3d(materials.add(FlatMaterial {
            color: Color::srgb(0.36, 0.41, 0.34).into(),
            grid: Vec4::new(1.0, 4.0, 0.35, 0.0),
        })),
        Transform::from_xyz(0.0, 0.0, -GROUND_HALF_DEPTH + 10.0),
    ));
    let colors: Vec<Handle<FlatMaterial>> = COLORS.into_iter().map(|c| materials.add(FlatMaterial::plain(c))).collect();
    for (entity, part) in &parts {
        let spec = &scene.0.bodies[part.body];
        // The capsule's axis, in the body's own frame, from its end points.
        let c = [(spec.from[0] + spec.to[0]) / 2.0, (spec.from[1] + spec.to[1]) / 2.0];
        let a = to_bevy([spec.from[0] - c[0], 0.0, spec.from[1] - c[1]]);
        let b = to_bevy([spec.to[0] - c[0], 0.0, spec.to[1] - c[1]]);
        let axis = b - a;
        let mesh = meshes.add(Capsule3d::new(spec.radius, axis.length()));
        commands.entity(entity).with_children(|parent| {
            parent.spawn((
                Mesh3d(mesh),
                MeshMaterial3d(colors[part.slot].clone()),
                Transform::from_rotation(Quat::from_rotation_arc(Vec3::Y, axis.normalize())),
            ));
        });
    }
    spawn_hud(&mut commands);
}

fn text(size: f32, s: &str) -> (Text, TextFont) {
    (Text::new(s), TextFont { font_size: FontSize::Px(size), ..default() })
}

fn spawn_hud(commands: &mut Commands) {
    commands.spawn((
        HudText,
        text(17.0, ""),
        Node { position_type: PositionType::Absolute, top: px(8), left: px(10), ..default() },
    ));
    for (i, side) in ["LEFT", "RIGHT"].iter().enumerate() {
        let mut node = Node { position_type: PositionType::Absolute, top: px(96), ..default() };
        if i == 0 {
            node.left = percent(22);
        } else {
            node.right = percent(22);
        }
        commands.spawn((SideLabel, text(30.0, side), TextColor(COLORS[i]), node));
    }
    commands.spawn((
        FlashText,
        text(44.0, ""),
        Node { position_type: PositionType::Absolute, top: percent(40), width: percent(100), justify_content: JustifyContent::Center, ..default() },
        TextLayout::justify(Justify::Center),
    ));
    let buttons = [
        ("<- Left is better", ViewerAction::Answer(Answer::Left)),
        ("^ Equally good", ViewerAction::Answer(Answer::Equal)),
        ("v Can't tell", ViewerAction::Answer(Answer::CantTell)),
        ("Right is better ->", ViewerAction::Answer(Answer::Right)),
        ("Undo (Backspace)", ViewerAction::Undo),
    ];
    commands
        .spawn(Node {
            position_type: PositionType::Absolute,
            bottom: px(12),
            width: percent(100),
            justify_content: JustifyContent::Center,
            column_gap: px(10),
            ..default()
        })
        .with_children(|row| {
            for (label, action) in buttons {
                row.spawn((
                    Button,
                    ActionButton(action),
                    Node { padding: UiRect::axes(px(14), px(8)), border: UiRect::all(px(2)), ..default() },
                    BorderColor::all(Color::srgb(0.8, 0.8, 0.8)),
                    BackgroundColor(Color::srgb(0.15, 0.15, 0.18)),
                ))
                .with_children(|b| {
                    b.spawn(text(18.0, label));
                });
            }
        });
}

fn update_bodies(session: Res<LabelSession>, mut parts: Query<(&BodyPart, &mut Transform, &mut Visibility)>) {
    let clips = session.clips();
    for (part, mut transform, mut visibility) in &mut parts {
        match clips.get(part.slot) {
            Some(clip) if !clip.steps.is_empty() => {
                // A single clip (the policy) stands in the middle.
                let slot = if clips.len() == 1 { 2 } else { part.slot };
                let step = session.frame(clip);
                *transform = body_transform(clip, step, part.slot.min(1), part.body);
                if slot == 2 {
                    transform.translation.x -= LANE[part.slot];
                }
                *visibility = Visibility::Visible;
            }
            _ => *visibility = Visibility::Hidden,
        }
    }
}

/// The torso's top over the last half second: makes the turn easy to read.
fn trails(session: Res<LabelSession>, scene: Res<ViewerScene>, mut gizmos: Gizmos) {
    let clips = session.clips();
    let torso = &scene.0.bodies[0];
    let half = ((torso.to[1] - torso.from[1]).abs() / 2.0).max(0.05);
    for (slot, clip) in clips.iter().enumerate() {
        if clip.steps.is_empty() {
            continue;
        }
        let now = session.frame(clip);
        let from = now.saturating_sub((0.5 / clip.control_dt) as usize);
        let points = (from..=now).map(|s| {
            let t = body_transform(clip, s, slot.min(1), 0);
            let mut p = t.translation + t.rotation * Vec3::Y * half;
            if clips.len() == 1 {
                p.x -= LANE[slot];
            }
            p
        });
        gizmos.linestrip(points, Color::srgb(1.0, 0.9, 0.3));
    }
}

/// Keeps both hoppers in view: the camera looks at their middle from far enough back.
fn follow(session: Res<LabelSession>, parts: Query<(&BodyPart, &Transform), Without<Camera3d>>, mut camera: Query<&mut Transform, With<Camera3d>>) {
    let torsos: Vec<Vec3> = parts.iter().filter(|(p, _)| p.body == 0 && p.slot < session.clips().len()).map(|(_, t)| t.translation).collect();
    let Ok(mut cam) = camera.single_mut() else { return };
    if torsos.is_empty() {
        return;
    }
    let min = torsos.iter().fold(f32::MAX, |m, p| m.min(p.x));
    let max = torsos.iter().fold(f32::MIN, |m, p| m.max(p.x));
    let center = Vec3::new((min + max) / 2.0, 0.9, 0.0);
    let distance = 4.0 + (max - min) * 0.8;
    let target = center + Vec3::new(0.0, 0.5, distance);
    cam.translation = cam.translation.lerp(target, 0.1);
    cam.look_at(center, Vec3::Y);
}

fn hud(
    session: Res<LabelSession>,
    diagnostics: Res<DiagnosticsStore>,
    mut texts: Query<&mut Text, (With<HudText>, Without<FlashText>)>,
    mut flash: Query<(&mut Text, &mut TextColor), With<FlashText>>,
    mut labels: Query<(&SideLabel, &mut Visibility)>,
) {
    let t = &session.training;
    let f = |v: Option<f32>| v.map(|x| format!("{:.0}%", 100.0 * x)).unwrap_or_else(|| "-".into());
    // Rounded to 5 so that the text changes rarely.
    let fps = (diagnostics.get(&FrameTimeDiagnosticsPlugin::FPS).and_then(|d| d.smoothed()).unwrap_or(0.0) / 5.0).round() * 5.0;
    let state = session.state_line();
    let playback = if session.playback.paused { "paused".to_string() } else { format!("x{}", session.playback.speed) };
    if let Ok(mut text) = texts.single_mut() {
        let new = format!(
            "comparisons {}/{}   waiting {}   reward model accuracy {}   PPO iteration {}   env steps {}   success {}   {:.0} fps\n{}   [{}]\n{}\nkeys: <- -> better   ^ equal   v can't tell   Backspace undo   Space pause   [ ] speed   R restart   P policy   Esc quit",
            t.comparisons.max(session.answered),
            t.budget,
            session.waiting(),
            session.accuracy_text(),
            t.iteration,
            t.env_steps,
            f(t.success_rate),
            fps,
            state,
            playback,
            session.you_line()
        );
        // Re-laying out text is costly: touch it only when it changes.
        if text.0 != new {
            text.0 = new;
        }
    }
    if let Ok((mut text, mut color)) = flash.single_mut() {
        match session.flash {
            Some((answer, left)) => {
                let new = match answer {
                    Answer::Left => "LEFT is better",
                    Answer::Right => "RIGHT is better",
                    Answer::Equal => "equally good",
                    Answer::CantTell => "can't tell",
                }
                .to_string();
                if text.0 != new {
                    text.0 = new;
                }
                *color = TextColor(Color::srgba(1.0, 1.0, 0.6, (left / 0.6).clamp(0.0, 1.0)));
            }
            None if !text.0.is_empty() => text.0 = String::new(),
            None => {}
        }
    }
    let two = session.clips().len() == 2;
    for (_, mut v) in &mut labels {
        v.set_if_neq(if two { Visibility::Visible } else { Visibility::Hidden });
    }
}

/// Drawing, for the window: meshes, ground, HUD and trails (the logic is in
/// `ViewerLogicPlugin`, the poses and camera in `ViewerPosePlugin`).
pub struct ViewerDrawPlugin;

impl Plugin for ViewerDrawPlugin {
    fn build(&self, app: &mut App) {
        embedded_asset!(app, "flat.wgsl");
        app.add_plugins((FrameTimeDiagnosticsPlugin::default(), MaterialPlugin::<FlatMaterial>::default()))
            .insert_resource(ClearColor(Color::srgb(0.62, 0.72, 0.82)))
            .add_systems(Startup, dress.after(spawn_camera_and_parts))
            .add_systems(Update, (trails, hud).chain().after(follow));
    }
}
