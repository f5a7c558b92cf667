//! A clip: K consecutive control steps of one episode, with everything needed to judge it and to
//! draw it. Saved in a compact binary format (magic, version, postcard body) and exported to
//! JSON for other tools. A folder of clips names each `ID.clip` (`ClipDir`); clips are cut
//! from running environments by the `ClipRecorder`.

mod recorder;

pub use recorder::{ClipIds, ClipRecorder};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sim::{BodyPose, StepInfo};

/// First bytes of every clip file.
pub const CLIP_MAGIC: &[u8; 8] = b"BFLIPCLP";
/// Bumped whenever `Clip` changes shape; older files are refused with a clear error.
pub const CLIP_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ClipStep {
    /// Observation the action was chosen from.
    pub obs: Vec<f32>,
    /// Action applied (as given, before clamping).
    pub action: Vec<f32>,
    /// Every body's pose after the step.
    pub poses: Vec<BodyPose>,
    /// Pitch, contacts, position and speed after the step.
    pub info: StepInfo,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Clip {
    pub id: String,
    /// Name of the scene it was recorded in.
    pub scene: String,
    /// Seed of the episode it came from, and the index of its first step in that episode.
    pub seed: u64,
    pub start_step: usize,
    /// Seconds of simulated time per step.
    pub control_dt: f32,
    pub steps: Vec<ClipStep>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("{path}: cannot access: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a backflip clip file (wrong magic bytes)")]
    NotAClip { path: PathBuf },
    #[error("{path}: clip format version {found}, this build reads version {CLIP_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: corrupt or truncated clip: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

impl Clip {
    pub fn infos(&self) -> Vec<StepInfo> {
        self.steps.iter().map(|s| s.info).collect()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.steps.len() * 200);
        out.extend_from_slice(CLIP_MAGIC);
        out.extend_from_slice(&CLIP_VERSION.to_le_bytes());
        out.extend(postcard::to_stdvec(self).expect("a clip always serialises"));
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Clip, ClipError> {
        let path = path.to_owned();
        if bytes.len() < 12 || &bytes[..8] != CLIP_MAGIC {
            return Err(ClipError::NotAClip { path });
        }
        let found = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if found != CLIP_VERSION {
            return Err(ClipError::Version { path, found });
        }
        let (clip, rest) = postcard::take_from_bytes::<Clip>(&bytes[12..])
            .map_err(|e| ClipError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        if !rest.is_empty() {
            return Err(ClipError::Corrupt { path, reason: format!("{} trailing bytes", rest.len()) });
        }
        Ok(clip)
    }

    /// Writes the clip to a temporary file, syncs it and renames it into place, so a clip on
    /// disk is always whole.
    pub fn save(&self, path: &Path) -> Result<(), ClipError> {
        crate::fsutil::write_atomic(path, &self.to_bytes())
            .map_err(|source| ClipError::Io { path: path.to_owned(), source })
    }

    pub fn load(path: &Path) -> Result<Clip, ClipError> {
        let bytes = std::fs::read(path).map_err(|source| ClipError::Io { path: path.to_owned(), source })?;
        Clip::from_bytes(&bytes, path)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a clip always serialises")
    }
}

/// A folder of clips, each in `ID.clip`: a run's clips/ or a rollout's.
#[derive(Clone, Debug)]
pub struct ClipDir {
    pub path: PathBuf,
}

impl ClipDir {
    pub fn new(path: PathBuf) -> ClipDir {
        ClipDir { path }
    }

    /// The folder, made if missing.
    pub fn create(path: PathBuf) -> Result<ClipDir, ClipError> {
        std::fs::create_dir_all(&path).map_err(|source| ClipError::Io { path: path.clone(), source })?;
        Ok(ClipDir { path })
    }

    pub fn path_of(&self, id: &str) -> PathBuf {
        self.path.join(format!("{id}.clip"))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.path_of(id).exists()
    }

    pub fn save(&self, clip: &Clip) -> Result<(), ClipError> {
        clip.save(&self.path_of(&clip.id))
    }

    pub fn load(&self, id: &str) -> Result<Clip, ClipError> {
        Clip::load(&self.path_of(id))
    }

    /// Every clip in the folder (each `ID.clip`), in the order of their ids; none if the
    /// folder is missing.
    pub fn load_every(&self) -> Result<Vec<Clip>, ClipError> {
        self.files_ending("clip")?.iter().map(|f| Clip::load(f)).collect()
    }

    /// Removes the clip files a stop cut short (`ID.tmp`: a clip is written there and renamed to
    /// `ID.clip` once whole, fsutil::write_atomic), for the process that writes this folder to
    /// call when it starts again; returns what it removed. Whole clips are never touched.
    pub fn remove_unfinished(&self) -> Result<Vec<PathBuf>, ClipError> {
        let unfinished = self.files_ending("tmp")?;
        for path in &unfinished {
            std::fs::remove_file(path).map_err(|source| ClipError::Io { path: path.clone(), source })?;
        }
        Ok(unfinished)
    }

    /// The files in the folder named `*.EXTENSION`, sorted; none if the folder is missing.
    fn files_ending(&self, extension: &str) -> Result<Vec<PathBuf>, ClipError> {
        let entries = match std::fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(ClipError::Io { path: self.path.clone(), source }),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| ClipError::Io { path: self.path.clone(), source })?.path();
            if path.extension().is_some_and(|e| e == extension) && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// A clip given as a file, or as an id in this folder.
    pub fn resolve(&self, spec: &str) -> Result<Clip, ClipError> {
        let file = Path::new(spec);
        if file.exists() { Clip::load(file) } else { self.load(spec) }
    }
}
