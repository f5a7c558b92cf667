//! Answers and who gives them: the words every part of the loop shares (the store, the
//! stages, the viewer, the teachers), so that none of them imports another for them.

use serde::{Deserialize, Serialize};

use super::schedule::TeacherConfig;
use crate::clip::Clip;

/// A labeler's answer to one query.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Left,
    Right,
    Equal,
    CantTell,
}

/// Who answered.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", tag = "who")]
pub enum Who {
    Human,
    Teacher(TeacherConfig),
}

/// Who answers queries: a scripted teacher (teacher.rs) or a person (person.rs). `answer` may
/// block for as long as it needs; `None` means the labeler has stopped.
pub trait Labeler: Send {
    fn answer(&mut self, left: &Clip, right: &Clip) -> Option<Answer>;
    fn who(&self) -> Who;
    /// A scripted labeler answers at once and reproducibly, so the run waits for it (lockstep);
    /// a person is never waited on.
    fn scripted(&self) -> bool {
        false
    }
}

