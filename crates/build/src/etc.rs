//! The files Nix writes into the sandbox's `/etc`, byte for byte.

use crate::spec::{SANDBOX_GID, SANDBOX_UID};

/// `/etc/passwd`: root, the build user and nobody, as Nix 2.8 writes it.
pub(crate) fn passwd() -> String {
    format!(
        "root:x:0:0:Nix build user:/build:/noshell\n\
         nixbld:x:{SANDBOX_UID}:{SANDBOX_GID}:Nix build user:/build:/noshell\n\
         nobody:x:65534:65534:Nobody:/:/noshell\n"
    )
}

/// `/etc/group`: root, the build group and nogroup.
pub(crate) fn group() -> String {
    format!("root:x:0:\nnixbld:!:{SANDBOX_GID}:\nnogroup:x:65534:\n")
}

/// `/etc/hosts` for a sandbox without network.
pub(crate) const HOSTS: &str = "127.0.0.1 localhost\n::1 localhost\n";

/// Host files bind-mounted when the builder has network (Nix binds the same).
pub(crate) const NETWORK_FILES: &[&str] = &[
    "/etc/resolv.conf",
    "/etc/nsswitch.conf",
    "/etc/services",
    "/etc/hosts",
];

/// Host devices bind-mounted into the minimal `/dev`.
pub(crate) const DEVICES: &[&str] = &[
    "/dev/full",
    "/dev/null",
    "/dev/random",
    "/dev/tty",
    "/dev/urandom",
    "/dev/zero",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_match_nix_2_8() {
        // Captured from a Nix 2.8 sandboxed build (`cat /etc/passwd /etc/group`).
        assert_eq!(
            passwd(),
            "root:x:0:0:Nix build user:/build:/noshell\n\
             nixbld:x:1000:100:Nix build user:/build:/noshell\n\
             nobody:x:65534:65534:Nobody:/:/noshell\n"
        );
        assert_eq!(group(), "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n");
    }
}
