//! Learning from preferences, in one place: the answers and who gives them, the comparison
//! store, the scripted teachers and the person, the schedule, the stages on their threads and
//! the main thread's driver.
//!
//! ```text
//! driver (main thread): PPO on the newest snapshot --clips, wanted count--> selector
//! selector:  saves clips, picks pairs (disagreement) ----------------------> labeler
//! labeler:   scripted teacher or person answers ---------------------------> recorder
//! recorder:  appends each answer to the store (fsync) at once --------------> trainer
//! trainer:   trains the ensemble on the answers in force ------------------> driver (snapshot)
//! ```
//! docs/design.md describes the method; docs/notebook/ holds what was measured.

pub mod answer;
pub mod driver;
pub mod person;
pub mod pg;
pub mod report;
pub mod schedule;
pub mod stages;
pub mod store;
pub mod teacher;
pub mod trainer;

pub use answer::{Answer, Labeler, Who};
pub use driver::{DriverSetup, Preferences};
pub use schedule::{InitialClips, PrefConfig, Refits, TeacherConfig, TeacherKind};
pub use stages::{StageSetup, Stages};
pub use store::{Comparison, ComparisonStore};
pub use teacher::{ClipScore, OracleLabeler, Teacher};
pub use trainer::{Choices, TrainerEvent};
