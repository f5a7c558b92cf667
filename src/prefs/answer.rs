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

impl Answer {
    /// Whether this answer agrees with the judge's scores of the two clips: None where it
    /// says nothing to compare (equal, can't tell) or the judge scores them the same. How the
    /// labeler report and the window's own figures count agreement.
    pub fn agrees_with_scores(self, left: f32, right: f32) -> Option<bool> {
        (matches!(self, Answer::Left | Answer::Right) && left != right).then(|| (left > right) == (self == Answer::Left))
    }
}

/// Who answered.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", tag = "who")]
pub enum Who {
    /// A person, by the name they label under (empty in stores older than names).
    Human {
        #[serde(default)]
        name: String,
    },
    /// A scripted teacher with these settings, under a name where several answer one run.
    Teacher {
        #[serde(flatten)]
        config: TeacherConfig,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
    },
}

impl Who {
    /// A person labelling under `name`.
    pub fn person(name: &str) -> Who {
        Who::Human { name: name.to_owned() }
    }

    /// How reports name this labeler.
    pub fn label(&self) -> String {
        match self {
            Who::Human { name } if name.is_empty() => "person".to_string(),
            Who::Human { name } => name.clone(),
            Who::Teacher { config, name } if name.is_empty() => format!("scripted teacher ({:?})", config.kind).to_lowercase(),
            Who::Teacher { config, name } => format!("{name} (scripted {:?})", config.kind).to_lowercase(),
        }
    }
}

/// The name a person labels under unless they give one: the login name, or "person".
pub fn default_labeler_name() -> String {
    std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "person".to_string())
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

