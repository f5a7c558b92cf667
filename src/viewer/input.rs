//! Keys and on-screen buttons become `ViewerAction`s, applied to the session.

use bevy::prelude::*;

use super::session::{LabelSession, ViewerAction};
use crate::prefs::Answer;

/// Left/Right: that clip is better; Up: equally good; Down: can't tell; Backspace: undo;
/// Space: pause; [ and ]: slower, faster; R: restart; P: watch the policy.
pub fn key_action(key: KeyCode) -> Option<ViewerAction> {
    Some(match key {
        KeyCode::ArrowLeft => ViewerAction::Answer(Answer::Left),
        KeyCode::ArrowRight => ViewerAction::Answer(Answer::Right),
        KeyCode::ArrowUp => ViewerAction::Answer(Answer::Equal),
        KeyCode::ArrowDown => ViewerAction::Answer(Answer::CantTell),
        KeyCode::Backspace => ViewerAction::Undo,
        KeyCode::Space => ViewerAction::TogglePause,
        KeyCode::BracketLeft => ViewerAction::Slower,
        KeyCode::BracketRight => ViewerAction::Faster,
        KeyCode::KeyR => ViewerAction::Restart,
        KeyCode::KeyP => ViewerAction::ToggleWatch,
        _ => return None,
    })
}

/// A button that performs an action when pressed.
#[derive(Component, Clone, Copy, Debug)]
pub struct ActionButton(pub ViewerAction);

pub fn keyboard(keys: Res<ButtonInput<KeyCode>>, mut session: ResMut<LabelSession>) {
    for key in keys.get_just_pressed() {
        if let Some(action) = key_action(*key) {
            session.apply(action);
        }
    }
}

pub fn buttons(query: Query<(&Interaction, &ActionButton), Changed<Interaction>>, mut session: ResMut<LabelSession>) {
    for (interaction, button) in &query {
        if *interaction == Interaction::Pressed {
            session.apply(button.0);
        }
    }
}

pub fn poll(mut session: ResMut<LabelSession>, time: Res<Time>) {
    session.poll();
    session.tick(time.delta_secs());
}

/// The viewer's logic: no window, no drawing. The headless tests run exactly this.
pub struct ViewerLogicPlugin;

impl Plugin for ViewerLogicPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, (poll, keyboard, buttons).chain());
    }
}
