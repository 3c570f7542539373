//! The directories the host keeps files in, opened once with `cap-std`: every
//! later file access is relative to an opened directory handle, so no name
//! derived from a plugin or a request can reach outside it (`..`, absolute
//! paths and symlinks out are refused by the handle itself).

use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Creates (if needed) and opens `path` as a capability directory.
pub fn open(path: &Path) -> std::io::Result<Dir> {
    std::fs::create_dir_all(path)?;
    Dir::open_ambient_dir(path, ambient_authority())
}
