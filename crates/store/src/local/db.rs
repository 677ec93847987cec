//! The validity database, in Nix's own SQLite schema (version 10), so that
//! Nix reads what cairn registers and cairn reads what Nix registers.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::LocalStoreError;
use crate::content_address::ContentAddress;
use crate::hash::Hash;
use crate::path::{StoreDir, StorePath};
use crate::path_info::PathInfo;

/// The schema version this module reads and writes (`db/schema`).
pub const SCHEMA_VERSION: u32 = 10;

/// Nix's schema, statement for statement (including its comments' intent:
/// self-references must not block deletion, hence the trigger).
const SCHEMA: &str = "
create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer, -- null implies \"false\"
    sigs             text, -- space-separated
    ca               text -- if not null, an assertion that the path is content-addressed; see ValidPathInfo
);
create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);
create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);
create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end;
create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null, -- symbolic output id, usually \"out\"
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);
create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
";

/// An open validity database.
pub struct Database {
    conn: Connection,
    store_dir: StoreDir,
}

impl Database {
    /// True when the database in `db_dir` has been created (its schema
    /// version is recorded).
    pub fn exists(db_dir: &Path) -> bool {
        db_dir.join("schema").exists()
    }

    /// Opens (creating if needed) the database in `db_dir`. Creating must
    /// happen under the exclusive big lock.
    pub fn open(db_dir: &Path, store_dir: StoreDir) -> Result<Database, LocalStoreError> {
        let schema_file = db_dir.join("schema");
        let existing = match std::fs::read_to_string(&schema_file) {
            Ok(text) => Some(
                text.trim()
                    .parse::<u32>()
                    .map_err(|_| LocalStoreError::Schema {
                        found: text.trim().to_owned(),
                    })?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(LocalStoreError::io("reading", &schema_file, e)),
        };
        if let Some(version) = existing
            && version != SCHEMA_VERSION
        {
            return Err(LocalStoreError::Schema {
                found: version.to_string(),
            });
        }
        let db_path = db_dir.join("db.sqlite");
        let conn = Connection::open(&db_path).map_err(|e| LocalStoreError::db(&db_path, e))?;
        // As Nix: wait (practically) forever for other writers, WAL journal,
        // foreign keys enforced.
        conn.busy_timeout(Duration::from_secs(60 * 60))
            .map_err(|e| LocalStoreError::db(&db_path, e))?;
        conn.execute_batch("pragma foreign_keys = 1; pragma synchronous = normal;")
            .map_err(|e| LocalStoreError::db(&db_path, e))?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(|e| LocalStoreError::db(&db_path, e))?;
        if existing.is_none() {
            conn.execute_batch(&format!("begin immediate; {SCHEMA} commit;"))
                .map_err(|e| LocalStoreError::db(&db_path, e))?;
            // The version file appears whole or not at all.
            let staged = db_dir.join("schema.tmp");
            std::fs::write(&staged, SCHEMA_VERSION.to_string())
                .and_then(|()| std::fs::rename(&staged, &schema_file))
                .map_err(|e| LocalStoreError::io("writing", &schema_file, e))?;
        }
        Ok(Database { conn, store_dir })
    }

    fn print(&self, path: &StorePath) -> String {
        self.store_dir.display_path(path)
    }

    fn parse(&self, text: &str) -> Result<StorePath, LocalStoreError> {
        self.store_dir
            .parse_path(text)
            .map_err(|e| LocalStoreError::Corrupt {
                what: format!("path `{text}`: {e}"),
            })
    }

    /// True when `path` is registered as valid.
    pub fn is_valid(&self, path: &StorePath) -> Result<bool, LocalStoreError> {
        // Cached statements: these queries run once per path when building,
        // substituting and serving, where parsing them each time showed.
        let row = self
            .conn
            .prepare_cached("select 1 from ValidPaths where path = ?1")?
            .query_row([self.print(path)], |_| Ok(()))
            .optional()?;
        Ok(row.is_some())
    }

    /// Everything known about `path`, or `None` when it is not valid.
    pub fn path_info(&self, path: &StorePath) -> Result<Option<PathInfo>, LocalStoreError> {
        type Row = (
            i64,
            String,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = self
            .conn
            .prepare_cached(
                "select id, hash, registrationTime, deriver, narSize, ultimate, sigs, ca from ValidPaths where path = ?1",
            )?
            .query_row(
                [self.print(path)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .optional()?;
        let Some((id, hash, registration_time, deriver, nar_size, ultimate, sigs, ca)) = row else {
            return Ok(None);
        };
        let corrupt = |what: String| LocalStoreError::Corrupt {
            what: format!("{}: {what}", self.print(path)),
        };
        let nar_hash =
            Hash::parse(&hash, None).map_err(|e| corrupt(format!("hash `{hash}`: {e}")))?;
        let ca = ca
            .filter(|ca| !ca.is_empty())
            .map(|ca| {
                ca.parse::<ContentAddress>()
                    .map_err(|e| corrupt(format!("ca `{ca}`: {e}")))
            })
            .transpose()?;
        let deriver = deriver
            .filter(|d| !d.is_empty())
            .map(|d| self.parse(&d))
            .transpose()?;
        let mut statement = self.conn.prepare_cached(
            "select path from Refs join ValidPaths on reference = id where referrer = ?1",
        )?;
        let references = statement
            .query_map([id], |r| r.get::<_, String>(0))?
            .map(|text| self.parse(&text?))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Some(PathInfo {
            path: path.clone(),
            nar_hash,
            nar_size: nar_size.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            references,
            deriver,
            registration_time,
            ultimate: ultimate.is_some_and(|u| u != 0),
            signatures: sigs
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            ca,
        }))
    }

    /// The valid paths that refer to `path` (possibly including itself).
    pub fn referrers(&self, path: &StorePath) -> Result<BTreeSet<StorePath>, LocalStoreError> {
        let mut statement = self.conn.prepare_cached(
            "select v.path from Refs r join ValidPaths v on r.referrer = v.id \
                 where r.reference = (select id from ValidPaths where path = ?1)",
        )?;
        statement
            .query_map([self.print(path)], |r| r.get::<_, String>(0))?
            .map(|text| self.parse(&text?))
            .collect()
    }

    /// Every valid path.
    pub fn all_valid(&self) -> Result<Vec<StorePath>, LocalStoreError> {
        let mut statement = self
            .conn
            .prepare_cached("select path from ValidPaths order by path")?;
        statement
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|text| self.parse(&text?))
            .collect()
    }

    /// Registers `info` as valid in one transaction. Its references must be
    /// valid already, or be the path itself.
    pub fn register(&mut self, info: &PathInfo) -> Result<(), LocalStoreError> {
        self.register_all(std::slice::from_ref(info))
    }

    /// Registers every path of `infos` as valid in one transaction: all or
    /// none. Their references must be valid already or be among `infos`
    /// (so the outputs of one build may refer to each other). A path that
    /// another process registered meanwhile keeps its row: store paths are
    /// named after their contents, so its information is the same.
    pub fn register_all(&mut self, infos: &[PathInfo]) -> Result<(), LocalStoreError> {
        let store_dir = self.store_dir.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut find_id = tx.prepare_cached("select id from ValidPaths where path = ?1")?;
            let mut insert_path = tx.prepare_cached(
                "insert into ValidPaths (path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca) \
                 values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut insert_ref = tx.prepare_cached(
                "insert or ignore into Refs (referrer, reference) values (?1, ?2)",
            )?;
            // Every row first, then the references, which may point at any of them.
            let mut ids = Vec::with_capacity(infos.len());
            for info in infos {
                let path = store_dir.display_path(&info.path);
                if let Some(id) = find_id.query_row([&path], |r| r.get(0)).optional()? {
                    ids.push(id);
                    continue;
                }
                let signatures: Vec<&str> = info.signatures.iter().map(String::as_str).collect();
                insert_path.execute(params![
                    path,
                    info.nar_hash.to_prefixed_base16(),
                    info.registration_time,
                    info.deriver.as_ref().map(|d| store_dir.display_path(d)),
                    i64::try_from(info.nar_size).unwrap_or(i64::MAX),
                    // Nix stores "not ultimate" as NULL.
                    info.ultimate.then_some(1),
                    (!signatures.is_empty()).then(|| signatures.join(" ")),
                    info.ca.as_ref().map(ToString::to_string),
                ])?;
                ids.push(tx.last_insert_rowid());
            }
            for (info, referrer) in infos.iter().zip(ids) {
                for reference in &info.references {
                    let reference_id: Option<i64> = find_id
                        .query_row([store_dir.display_path(reference)], |r| r.get(0))
                        .optional()?;
                    let Some(reference_id) = reference_id else {
                        return Err(LocalStoreError::InvalidReference {
                            path: store_dir.display_path(&info.path),
                            reference: store_dir.display_path(reference),
                        });
                    };
                    insert_ref.execute(params![referrer, reference_id])?;
                }
            }
        }
        Ok(tx.commit()?)
    }

    /// Adds `signatures` to `path`'s space-separated `sigs`, keeping those
    /// it has, in one transaction. Returns false when `path` is not valid.
    pub fn add_signatures(
        &mut self,
        path: &StorePath,
        signatures: &BTreeSet<String>,
    ) -> Result<bool, LocalStoreError> {
        let printed = self.print(path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let sigs: Option<Option<String>> = tx
            .query_row(
                "select sigs from ValidPaths where path = ?1",
                [&printed],
                |r| r.get(0),
            )
            .optional()?;
        let Some(sigs) = sigs else {
            return Ok(false);
        };
        let mut all: BTreeSet<String> = sigs
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        all.extend(signatures.iter().cloned());
        let joined: Vec<&str> = all.iter().map(String::as_str).collect();
        tx.execute(
            "update ValidPaths set sigs = ?1 where path = ?2",
            params![(!joined.is_empty()).then(|| joined.join(" ")), printed],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// The valid path whose hash part is `hash_part`, found as Nix does: the
    /// first path sorting at or after `<store dir>/<hash part>`.
    pub fn path_from_hash_part(
        &self,
        hash_part: &str,
    ) -> Result<Option<StorePath>, LocalStoreError> {
        let prefix = format!("{}/{hash_part}-", self.store_dir);
        let found: Option<String> = self
            .conn
            .prepare_cached("select path from ValidPaths where path >= ?1 limit 1")?
            .query_row([&prefix], |r| r.get(0))
            .optional()?;
        match found {
            Some(path) if path.starts_with(&prefix) => Ok(Some(self.parse(&path)?)),
            _ => Ok(None),
        }
    }

    /// Makes `path` invalid. Fails while other valid paths refer to it.
    pub fn invalidate(&mut self, path: &StorePath) -> Result<(), LocalStoreError> {
        let others: Vec<StorePath> = self
            .referrers(path)?
            .into_iter()
            .filter(|r| r != path)
            .collect();
        if let Some(referrer) = others.first() {
            return Err(LocalStoreError::StillReferenced {
                path: self.print(path),
                referrer: self.print(referrer),
            });
        }
        self.conn
            .execute("delete from ValidPaths where path = ?1", [self.print(path)])?;
        Ok(())
    }

    /// Makes every path of `paths` invalid in one transaction (all or
    /// none). Referrers must come before what they refer to; a path that a
    /// valid path outside `paths` still refers to makes the whole call fail
    /// (the foreign key on `Refs.reference` refuses).
    pub fn invalidate_all(&mut self, paths: &[StorePath]) -> Result<(), LocalStoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut delete = tx.prepare_cached("delete from ValidPaths where path = ?1")?;
            for path in paths {
                delete.execute([self.store_dir.display_path(path)])?;
            }
        }
        Ok(tx.commit()?)
    }

    /// The whole reference graph, in three queries.
    pub(super) fn load_graph(&self) -> Result<super::gc::Graph, LocalStoreError> {
        let mut by_id: std::collections::HashMap<i64, StorePath> = std::collections::HashMap::new();
        let mut nodes: std::collections::HashMap<StorePath, super::gc::Node> =
            std::collections::HashMap::new();
        let mut derivers: Vec<(StorePath, String)> = Vec::new();
        {
            let mut statement = self
                .conn
                .prepare("select id, path, deriver, narSize from ValidPaths")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let path = self.parse(&row.get::<_, String>(1)?)?;
                if let Some(deriver) = row.get::<_, Option<String>>(2)? {
                    derivers.push((path.clone(), deriver));
                }
                let nar_size: Option<i64> = row.get(3)?;
                by_id.insert(id, path.clone());
                nodes.insert(
                    path,
                    super::gc::Node {
                        references: Vec::new(),
                        deriver: None,
                        outputs: Vec::new(),
                        nar_size: nar_size.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    },
                );
            }
        }
        {
            let mut statement = self.conn.prepare("select referrer, reference from Refs")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let (referrer, reference): (i64, i64) = (row.get(0)?, row.get(1)?);
                if let (Some(from), Some(to)) = (by_id.get(&referrer), by_id.get(&reference))
                    && let Some(node) = nodes.get_mut(from)
                {
                    node.references.push(to.clone());
                }
            }
        }
        {
            let mut statement = self
                .conn
                .prepare("select drv, path from DerivationOutputs")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let drv: i64 = row.get(0)?;
                let output: String = row.get(1)?;
                if let (Some(drv), Ok(output)) =
                    (by_id.get(&drv), self.store_dir.parse_path(&output))
                    && let Some(node) = nodes.get_mut(drv)
                {
                    node.outputs.push(output);
                }
            }
        }
        for (path, deriver) in derivers {
            if let Ok(deriver) = self.store_dir.parse_path(&deriver)
                && let Some(node) = nodes.get_mut(&path)
            {
                node.deriver = Some(deriver);
            }
        }
        Ok(super::gc::Graph { paths: nodes })
    }
}
