//! The at-rest encryption key: `ISHTAR_ENCRYPTION_KEY`, or (development) a key generated
//! once and kept under the data dir, with a warning.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretString};

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("ISHTAR_ENCRYPTION_KEY must be base64 of exactly 32 bytes")]
    Malformed,
    #[error("cannot read or write the development key at {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
}

fn decode(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| KeyError::Malformed)?;
    bytes.try_into().map_err(|_| KeyError::Malformed)
}

/// The configured key, or the development key under `data_dir`.
///
/// # Errors
/// [`KeyError`] for a malformed key or an unusable data dir.
pub fn encryption_key(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> Result<[u8; 32], KeyError> {
    if let Some(k) = configured {
        return decode(k.expose_secret());
    }
    let path = data_dir.join("encryption.key");
    let io = |cause| KeyError::Io {
        path: path.display().to_string(),
        cause,
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(io)?;
        tracing::warn!(path = %path.display(), "ISHTAR_ENCRYPTION_KEY unset: using the development key");
        return decode(&text);
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&path).map_err(io)?;
    f.write_all(
        base64::engine::general_purpose::STANDARD
            .encode(key)
            .as_bytes(),
    )
    .map_err(io)?;
    tracing::warn!(path = %path.display(), "ISHTAR_ENCRYPTION_KEY unset: generated a development key; set the variable in production");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_and_reused() {
        let dir = std::env::temp_dir().join(format!("ishtar-key-{}", uuid::Uuid::new_v4()));
        let a = encryption_key(None, &dir).expect("generated");
        let b = encryption_key(None, &dir).expect("reread");
        assert_eq!(a, b);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_configured_key_must_be_32_bytes() {
        let short = SecretString::from("AAAA".to_owned());
        assert!(matches!(
            encryption_key(Some(&short), Path::new("/nonexistent")),
            Err(KeyError::Malformed)
        ));
        let good = SecretString::from(base64::engine::general_purpose::STANDARD.encode([5u8; 32]));
        assert_eq!(
            encryption_key(Some(&good), Path::new("/nonexistent")).expect("ok"),
            [5u8; 32]
        );
    }
}
