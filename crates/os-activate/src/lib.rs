//! cairn-os-activate: Switches a machine to a system generation: /etc, users, units, boot entries.
