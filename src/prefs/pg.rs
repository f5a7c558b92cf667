//! The comparison store and the clips in PostgreSQL, so that people at several desktops can
//! label one run (`--store postgres://...`; the run folder's comparisons.jsonl stays the
//! default). The trainer posts each query; every labeler (`backflip label --store URL --run
//! NAME`, on any machine) claims an open one, answers it and writes the answer in one
//! transaction, so an answer is never lost or counted twice: a labeler killed mid-answer
//! leaves its query open for another, and a query can be answered once (a unique key). The
//! trainer reads new answers as they land. A connection that drops (a server restart) is
//! opened again, and the caller waits meanwhile.
//!
//! ```text
//! backflip_runs     run, config (run.json: remote labelers draw its scene), finished
//! backflip_clips    run, id, bytes (the clip file's bytes)
//! backflip_queries  qid, run, left_id, right_id, answered
//! backflip_lines    seq, run, qid (unique: one answer a query), line (a comparisons.jsonl line)
//! ```

use std::time::Duration;

use anyhow::Context;
use postgres::{Client, NoTls};
use serde::{Deserialize, Serialize};

use super::answer::{Labeler, Who};
use super::store::{Comparison, CorruptLine, StoreLine, now_ms};
use crate::clip::Clip;

/// Where a run's answers and clips live in PostgreSQL.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PgTarget {
    /// A libpq connection URL, e.g. postgres://user:password@host/database.
    pub url: String,
    /// The run's name there (the run folder's name).
    pub run: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS backflip_runs (run TEXT PRIMARY KEY, config TEXT NOT NULL, finished BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS backflip_clips (run TEXT NOT NULL, id TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (run, id));
CREATE TABLE IF NOT EXISTS backflip_queries (qid BIGSERIAL PRIMARY KEY, run TEXT NOT NULL, left_id TEXT NOT NULL, right_id TEXT NOT NULL, answered BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS backflip_queries_open ON backflip_queries (run, qid) WHERE NOT answered;
CREATE TABLE IF NOT EXISTS backflip_lines (seq BIGSERIAL PRIMARY KEY, run TEXT NOT NULL, qid BIGINT UNIQUE, line TEXT NOT NULL);
";

/// Store lines with their sequence numbers, in order.
pub type NumberedLines = Vec<(i64, StoreLine)>;

/// What came of trying to answer one query.
pub enum Claim {
    /// No open query that no one else holds.
    NoneOpen,
    /// Answered and recorded.
    Answered(Comparison),
    /// The query's clips could not be read: it was closed unanswered.
    Unreadable,
    /// The labeler stopped (its window closed): nothing was written, the query stays open.
    Stopped,
}

/// One connection to the store, opened again whenever it drops.
pub struct PgLink {
    pub target: PgTarget,
    client: Option<Client>,
}

/// Whether an error means the connection is gone (then the call is retried on a new one),
/// rather than that the request itself was refused.
fn connection_lost(e: &postgres::Error, client: &Client) -> bool {
    if client.is_closed() || e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        None => true,
        // Class 08 (connection exception) and 57P (operator intervention: shutdown, restart).
        Some(db) => db.code().code().starts_with("08") || db.code().code().starts_with("57P"),
    }
}

impl PgLink {
    /// Connects and makes sure the tables exist. A server that cannot be reached now is a
    /// one-line error (a wrong URL should not look like a wait).
    pub fn connect(target: &PgTarget) -> anyhow::Result<PgLink> {
        let mut client = Client::connect(&target.url, NoTls).with_context(|| format!("{}: cannot connect to PostgreSQL", redact(&target.url)))?;
        client.batch_execute(SCHEMA).with_context(|| format!("{}: cannot create the tables", redact(&target.url)))?;
        Ok(PgLink { target: target.clone(), client: Some(client) })
    }

    /// A link that connects on its first call and, like every call, waits while the server is
    /// away: for the links a run opens once it is going (a server restart then is a wait, not
    /// the run's end), after `connect` has checked the server when the command started.
    pub fn waiting(target: &PgTarget) -> PgLink {
        PgLink { target: target.clone(), client: None }
    }

    /// Refuses a new run whose name the store already holds: its answers would be taken for the
    /// new run's own.
    pub fn ensure_absent(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.run_config()?.is_none(),
            "{}: a run named '{}' is already there; continue it with --resume, or give the new run another folder name (--out)",
            redact(&self.target.url),
            self.target.run
        );
        Ok(())
    }

    /// Runs `f` on the connection; if the connection is lost, waits, connects again and runs
    /// it again, until it goes through or the run is stopped.
    pub fn call<T>(&mut self, mut f: impl FnMut(&mut Client, &PgTarget) -> Result<T, postgres::Error>) -> anyhow::Result<T> {
        let mut warned = false;
        loop {
            if self.client.is_none() {
                match Client::connect(&self.target.url, NoTls) {
                    Ok(c) => self.client = Some(c),
                    Err(e) => {
                        if crate::stop::stopped() {
                            anyhow::bail!("{}: stopped while the server was away ({e})", redact(&self.target.url));
                        }
                        if !warned {
                            eprintln!("warning: {}: PostgreSQL is away ({e}); waiting for it", redact(&self.target.url));
                            warned = true;
                        }
                        std::thread::sleep(Duration::from_millis(500));
                        continue;
                    }
                }
            }
            let client = self.client.as_mut().expect("connected above");
            match f(client, &self.target) {
                Ok(v) => return Ok(v),
                Err(e) if connection_lost(&e, client) => {
                    self.client = None;
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("{}: PostgreSQL refused the request", redact(&self.target.url)))),
            }
        }
    }

    /// Puts the run's configuration where remote labelers read it.
    pub fn publish_run(&mut self, config_json: &str) -> anyhow::Result<()> {
        self.call(|c, t| {
            c.execute(
                "INSERT INTO backflip_runs (run, config) VALUES ($1, $2) ON CONFLICT (run) DO UPDATE SET config = $2, finished = false",
                &[&t.run, &config_json],
            )
        })?;
        Ok(())
    }

    /// Marks the run's training over: labelers stop once no query is open.
    pub fn mark_finished(&mut self, finished: bool) -> anyhow::Result<()> {
        self.call(|c, t| c.execute("UPDATE backflip_runs SET finished = $2 WHERE run = $1", &[&t.run, &finished]))?;
        Ok(())
    }

    fn finished(&mut self) -> anyhow::Result<bool> {
        self.call(|c, t| Ok(c.query_opt("SELECT finished FROM backflip_runs WHERE run = $1", &[&t.run])?.is_some_and(|r| r.get(0))))
    }

    /// The run's configuration (run.json's text), if the run is there.
    pub fn run_config(&mut self) -> anyhow::Result<Option<String>> {
        self.call(|c, t| Ok(c.query_opt("SELECT config FROM backflip_runs WHERE run = $1", &[&t.run])?.map(|r| r.get(0))))
    }

    pub fn save_clip(&mut self, clip: &Clip) -> anyhow::Result<()> {
        let bytes = clip.to_bytes();
        self.call(|c, t| c.execute("INSERT INTO backflip_clips (run, id, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&t.run, &clip.id, &bytes]))?;
        Ok(())
    }

    pub fn load_clip(&mut self, id: &str) -> anyhow::Result<Clip> {
        let bytes: Option<Vec<u8>> =
            self.call(|c, t| Ok(c.query_opt("SELECT bytes FROM backflip_clips WHERE run = $1 AND id = $2", &[&t.run, &id])?.map(|r| r.get(0))))?;
        let bytes = bytes.with_context(|| format!("clip {id}: not in the store of run {}", self.target.run))?;
        Ok(Clip::from_bytes(&bytes, std::path::Path::new(&format!("postgres:{}/{id}", self.target.run)))?)
    }

    /// Opens a query for any labeler to claim.
    pub fn post_query(&mut self, left: &str, right: &str) -> anyhow::Result<()> {
        self.call(|c, t| c.execute("INSERT INTO backflip_queries (run, left_id, right_id) VALUES ($1, $2, $3)", &[&t.run, &left, &right]))?;
        Ok(())
    }

    /// The store's lines after `seq`, in order, with their sequence numbers; lines that do
    /// not read are returned apart.
    pub fn lines_after(&mut self, seq: i64) -> anyhow::Result<(NumberedLines, Vec<CorruptLine>)> {
        let rows = self.call(|c, t| c.query("SELECT seq, line FROM backflip_lines WHERE run = $1 AND seq > $2 ORDER BY seq", &[&t.run, &seq]))?;
        let (mut lines, mut corrupt) = (Vec::new(), Vec::new());
        for row in rows {
            let (seq, text): (i64, String) = (row.get(0), row.get(1));
            match serde_json::from_str::<StoreLine>(&text) {
                Ok(l) => lines.push((seq, l)),
                Err(e) => corrupt.push(CorruptLine { line: seq as usize, reason: e.to_string() }),
            }
        }
        Ok((lines, corrupt))
    }

    /// All of the store's lines, in order (see `lines_after`).
    pub fn lines(&mut self) -> anyhow::Result<(Vec<StoreLine>, Vec<CorruptLine>)> {
        let (lines, corrupt) = self.lines_after(0)?;
        Ok((lines.into_iter().map(|(_, l)| l).collect(), corrupt))
    }

    /// Claims the oldest open query no one else holds, asks `labeler`, and records its answer
    /// under `who`, all in one transaction (see `Claim`).
    pub fn answer_one(&mut self, labeler: &mut dyn Labeler, who: &Who) -> anyhow::Result<Claim> {
        let mut outcome = Claim::NoneOpen;
        self.call(|c, t| {
            let mut tx = c.transaction()?;
            let Some(row) = tx.query_opt(
                "SELECT qid, left_id, right_id FROM backflip_queries WHERE run = $1 AND NOT answered ORDER BY qid LIMIT 1 FOR UPDATE SKIP LOCKED",
                &[&t.run],
            )?
            else {
                outcome = Claim::NoneOpen;
                return Ok(());
            };
            let (qid, left, right): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
            let clip = |tx: &mut postgres::Transaction, id: &str| -> Result<Option<Clip>, postgres::Error> {
                let bytes: Option<Vec<u8>> = tx.query_opt("SELECT bytes FROM backflip_clips WHERE run = $1 AND id = $2", &[&t.run, &id])?.map(|r| r.get(0));
                Ok(bytes.and_then(|b| Clip::from_bytes(&b, std::path::Path::new(id)).ok()))
            };
            let (Some(l), Some(r)) = (clip(&mut tx, &left)?, clip(&mut tx, &right)?) else {
                // A query whose clips are not readable cannot be answered: close it unanswered.
                tx.execute("UPDATE backflip_queries SET answered = true WHERE qid = $1", &[&qid])?;
                tx.commit()?;
                outcome = Claim::Unreadable;
                return Ok(());
            };
            let started = std::time::Instant::now();
            let Some(answer) = labeler.answer(&l, &r) else {
                outcome = Claim::Stopped;
                return Ok(()); // dropped: rolled back, the query stays open
            };
            let id: i64 = tx.query_one("SELECT nextval(pg_get_serial_sequence('backflip_lines', 'seq'))", &[])?.get(0);
            let comparison = Comparison {
                id: id as u64,
                left,
                right,
                answer,
                labeler: who.clone(),
                time_ms: now_ms(),
                response_ms: started.elapsed().as_millis() as u64,
            };
            let line = serde_json::to_string(&StoreLine::Comparison(comparison.clone())).expect("a line always serialises");
            tx.execute("INSERT INTO backflip_lines (seq, run, qid, line) VALUES ($1, $2, $3, $4)", &[&id, &t.run, &qid, &line])?;
            tx.execute("UPDATE backflip_queries SET answered = true WHERE qid = $1", &[&qid])?;
            tx.commit()?;
            outcome = Claim::Answered(comparison);
            Ok(())
        })?;
        Ok(outcome)
    }

    /// Withdraws the latest answer in force to the pair (left, right) (undo).
    pub fn withdraw(&mut self, left: &str, right: &str, lines: &[StoreLine]) -> anyhow::Result<bool> {
        let (_, in_force) = super::store::ComparisonStore::in_force(lines);
        let Some(c) = in_force.iter().rev().find(|c| c.left == left && c.right == right) else { return Ok(false) };
        let line = serde_json::to_string(&StoreLine::Withdrawal { id: c.id, time_ms: now_ms() }).expect("a line always serialises");
        self.call(|cl, t| cl.execute("INSERT INTO backflip_lines (run, line) VALUES ($1, $2)", &[&t.run, &line]))?;
        Ok(true)
    }
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Answers the run's open queries with `labeler` until it stops, the run is stopped, or its
/// training is over with no query open: the loop of every labeler of a PostgreSQL run, local
/// or remote. `undo` brings the pairs a person takes back. Returns the answers given.
pub fn serve(target: &PgTarget, mut labeler: Box<dyn Labeler>, undo: Option<crossbeam_channel::Receiver<(String, String)>>) -> anyhow::Result<usize> {
    let mut link = PgLink::waiting(target);
    let who = labeler.who();
    let mut given = 0;
    while !crate::stop::stopped() {
        if let Some(rx) = &undo {
            for (l, r) in rx.try_iter() {
                let (lines, _) = link.lines()?;
                link.withdraw(&l, &r, &lines)?;
            }
        }
        match link.answer_one(labeler.as_mut(), &who)? {
            Claim::Answered(_) => given += 1,
            Claim::Stopped => break,
            Claim::Unreadable => {}
            Claim::NoneOpen if link.finished()? => break,
            Claim::NoneOpen => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    Ok(given)
}
