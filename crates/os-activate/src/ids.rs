//! Stable user and group ids, allocated as NixOS allocates them.
//!
//! An account keeps its id for as long as it exists, and gets the same id
//! back if it is removed and declared again, because every id ever handed
//! out is remembered (NixOS keeps this in `/var/lib/nixos/uid-map`). The
//! rules, in order, for each declared account:
//!
//! 1. An account that exists on the machine keeps its current id. A
//!    declared id that differs is not applied (a warning says so), since
//!    changing an id would orphan the account's files.
//! 2. A declared id is used as given.
//! 3. A remembered id is revived, when it is in the account's pool and
//!    still free.
//! 4. Otherwise a fresh id comes from the pool: system accounts count down
//!    from 999 to 400, normal users count up from 1000 to 29999. Ids in use
//!    on the machine, declared or remembered for anyone are skipped.

use std::collections::{BTreeMap, BTreeSet};

/// A range of ids and the direction fresh ids are taken from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPool {
    /// The lowest id of the pool.
    pub min: u32,
    /// The highest id of the pool.
    pub max: u32,
    /// Take fresh ids from `min` upwards (true) or from `max` downwards.
    pub ascending: bool,
}

impl IdPool {
    /// System users and all groups: 999 down to 400.
    pub const SYSTEM: IdPool = IdPool {
        min: 400,
        max: 999,
        ascending: false,
    };
    /// Normal (human) users: 1000 up to 29999.
    pub const NORMAL_USERS: IdPool = IdPool {
        min: 1000,
        max: 29999,
        ascending: true,
    };

    fn contains(self, id: u32) -> bool {
        (self.min..=self.max).contains(&id)
    }
}

/// One declared account that needs an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRequest {
    /// The account's name.
    pub name: String,
    /// The id the configuration gives, if any.
    pub id: Option<u32>,
    /// Where a fresh id comes from.
    pub pool: IdPool,
}

/// The outcome of an allocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allocation {
    /// Every declared account's id.
    pub ids: BTreeMap<String, u32>,
    /// The memory of ids to keep for next time: the previous one with this
    /// allocation's ids added. Accounts no longer declared stay in it, so
    /// their ids are not given to anyone else.
    pub remembered: BTreeMap<String, u32>,
    /// Accounts whose remembered id was given back to them.
    pub revived: Vec<String>,
    /// Declared ids that were not applied, one sentence each.
    pub warnings: Vec<String>,
}

/// Why ids could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Two accounts were declared with the same id.
    #[error("accounts `{first}` and `{second}` are both declared with id {id}")]
    DuplicateId {
        /// The id.
        id: u32,
        /// One account.
        first: String,
        /// The other.
        second: String,
    },
    /// An account was declared twice.
    #[error("account `{0}` is declared twice")]
    DuplicateName(String),
    /// The pool has no free id left.
    #[error("no free id left for `{name}` between {min} and {max}")]
    Exhausted {
        /// The account.
        name: String,
        /// The pool's lowest id.
        min: u32,
        /// The pool's highest id.
        max: u32,
    },
}

/// Allocates ids for `requests` (users, or groups: one kind per call).
///
/// `current` maps the names of the accounts that exist on the machine now
/// (from `/etc/passwd` or `/etc/group`) to their ids; `remembered` is the
/// memory of every id handed out before.
pub fn allocate(
    requests: &[IdRequest],
    current: &BTreeMap<String, u32>,
    remembered: &BTreeMap<String, u32>,
) -> Result<Allocation, IdError> {
    let mut names = BTreeSet::new();
    let mut declared: BTreeMap<u32, &str> = BTreeMap::new();
    for request in requests {
        if !names.insert(request.name.as_str()) {
            return Err(IdError::DuplicateName(request.name.clone()));
        }
        if let Some(id) = request.id
            && let Some(first) = declared.insert(id, &request.name)
        {
            return Err(IdError::DuplicateId {
                id,
                first: first.to_owned(),
                second: request.name.clone(),
            });
        }
    }

    // Ids nobody new may take: declared ones, and those in use on the machine.
    let mut used: BTreeSet<u32> = declared.keys().copied().collect();
    used.extend(current.values().copied());
    // Ids handed out before, kept for their owners.
    let previously_used: BTreeSet<u32> = remembered.values().copied().collect();

    let mut allocation = Allocation {
        remembered: remembered.clone(),
        ..Allocation::default()
    };
    let mut pending = Vec::new();
    for request in requests {
        let id = match (current.get(&request.name), request.id) {
            (Some(&existing), Some(wanted)) if existing != wanted => {
                allocation.warnings.push(format!(
                    "not applying the id change of `{}` ({existing} -> {wanted}): it already exists",
                    request.name
                ));
                existing
            }
            (Some(&existing), _) => existing,
            (None, Some(wanted)) => wanted,
            (None, None) => {
                pending.push(request);
                continue;
            }
        };
        allocation.ids.insert(request.name.clone(), id);
    }
    // Fresh or revived ids, in declaration order.
    for request in pending {
        let revivable = remembered
            .get(&request.name)
            .copied()
            .filter(|&id| request.pool.contains(id) && !used.contains(&id));
        let id = match revivable {
            Some(id) => {
                allocation.revived.push(request.name.clone());
                id
            }
            None => fresh_id(request, &used, &previously_used)?,
        };
        used.insert(id);
        allocation.ids.insert(request.name.clone(), id);
    }
    for (name, &id) in &allocation.ids {
        allocation.remembered.insert(name.clone(), id);
    }
    Ok(allocation)
}

fn fresh_id(
    request: &IdRequest,
    used: &BTreeSet<u32>,
    previously_used: &BTreeSet<u32>,
) -> Result<u32, IdError> {
    let pool = request.pool;
    let free = |id: &u32| !used.contains(id) && !previously_used.contains(id);
    let found = if pool.ascending {
        (pool.min..=pool.max).find(free)
    } else {
        (pool.min..=pool.max).rev().find(free)
    };
    found.ok_or_else(|| IdError::Exhausted {
        name: request.name.clone(),
        min: pool.min,
        max: pool.max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, id: Option<u32>, pool: IdPool) -> IdRequest {
        IdRequest {
            name: name.to_owned(),
            id,
            pool,
        }
    }

    fn map(entries: &[(&str, u32)]) -> BTreeMap<String, u32> {
        entries.iter().map(|(n, i)| ((*n).to_owned(), *i)).collect()
    }

    #[test]
    fn fresh_ids_come_from_the_right_end_of_each_pool() {
        let requests = [
            user("alice", None, IdPool::NORMAL_USERS),
            user("nginx", None, IdPool::SYSTEM),
            user("bob", None, IdPool::NORMAL_USERS),
            user("sshd", None, IdPool::SYSTEM),
        ];
        let got = allocate(&requests, &BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(
            got.ids,
            map(&[
                ("alice", 1000),
                ("bob", 1001),
                ("nginx", 999),
                ("sshd", 998)
            ])
        );
        assert_eq!(got.remembered, got.ids);
    }

    #[test]
    fn declared_and_existing_ids_are_skipped_and_existing_accounts_keep_theirs() {
        let requests = [
            user("root", Some(0), IdPool::SYSTEM),
            user("carol", Some(1000), IdPool::NORMAL_USERS),
            user("dave", None, IdPool::NORMAL_USERS),
            user("erin", Some(1500), IdPool::NORMAL_USERS),
        ];
        // erin exists with another id: her id is kept, with a warning.
        let current = map(&[("root", 0), ("erin", 1001), ("legacy", 1002)]);
        let got = allocate(&requests, &current, &BTreeMap::new()).unwrap();
        assert_eq!(got.ids["dave"], 1003, "1000 declared, 1001 and 1002 in use");
        assert_eq!(got.ids["erin"], 1001);
        assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
    }

    #[test]
    fn removed_accounts_keep_their_ids_reserved_and_get_them_back() {
        let first = allocate(
            &[
                user("alice", None, IdPool::NORMAL_USERS),
                user("bob", None, IdPool::NORMAL_USERS),
            ],
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .unwrap();
        // alice is removed: a newcomer does not get her id.
        let second = allocate(
            &[
                user("bob", None, IdPool::NORMAL_USERS),
                user("frank", None, IdPool::NORMAL_USERS),
            ],
            &map(&[("bob", 1001)]),
            &first.remembered,
        )
        .unwrap();
        assert_eq!(second.ids["frank"], 1002);
        assert_eq!(second.remembered["alice"], 1000);
        // alice comes back: she is given 1000 again.
        let third = allocate(
            &[user("alice", None, IdPool::NORMAL_USERS)],
            &map(&[("bob", 1001), ("frank", 1002)]),
            &second.remembered,
        )
        .unwrap();
        assert_eq!(third.ids["alice"], 1000);
        assert_eq!(third.revived, ["alice"]);
    }

    #[test]
    fn a_remembered_id_taken_meanwhile_is_not_revived() {
        let got = allocate(
            &[
                user("alice", None, IdPool::NORMAL_USERS),
                user("bob", Some(1000), IdPool::NORMAL_USERS),
            ],
            &BTreeMap::new(),
            &map(&[("alice", 1000)]),
        )
        .unwrap();
        assert_eq!(got.ids["alice"], 1001);
        assert!(got.revived.is_empty());
    }

    #[test]
    fn conflicts_and_exhaustion_are_errors() {
        let twice = [
            user("a", Some(5), IdPool::SYSTEM),
            user("b", Some(5), IdPool::SYSTEM),
        ];
        assert!(matches!(
            allocate(&twice, &BTreeMap::new(), &BTreeMap::new()),
            Err(IdError::DuplicateId { id: 5, .. })
        ));
        let same_name = [
            user("a", None, IdPool::SYSTEM),
            user("a", None, IdPool::SYSTEM),
        ];
        assert!(matches!(
            allocate(&same_name, &BTreeMap::new(), &BTreeMap::new()),
            Err(IdError::DuplicateName(_))
        ));
        let tiny = IdPool {
            min: 10,
            max: 11,
            ascending: true,
        };
        let three = [
            user("a", None, tiny),
            user("b", None, tiny),
            user("c", None, tiny),
        ];
        assert!(matches!(
            allocate(&three, &BTreeMap::new(), &BTreeMap::new()),
            Err(IdError::Exhausted { .. })
        ));
    }
}
