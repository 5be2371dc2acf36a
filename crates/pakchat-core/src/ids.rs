//! Globally unique, time-ordered identifiers (UUIDv7).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id, ordered after every id made earlier on this device.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The 16 raw bytes, used as (part of) a store key.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// Rebuild from 16 raw bytes.
            #[must_use]
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies one conversation thread.
    ThreadId
);
id_type!(
    /// Identifies one message in a thread's tree.
    MessageId
);
id_type!(
    /// Identifies one installation of Pak.Chat (one store on one device).
    DeviceId
);
id_type!(
    /// Identifies one attached file.
    AttachmentId
);
id_type!(
    /// Identifies one project (a group of threads).
    ProjectId
);
