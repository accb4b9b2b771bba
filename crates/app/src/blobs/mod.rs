//! Where the bytes of uploaded files live, behind one small interface: a
//! local directory by default, an S3-compatible store in production.

mod s3;

pub use s3::{S3Blobs, S3Settings, sign as sign_s3};

use async_trait::async_trait;
use std::path::PathBuf;

/// The three calls a blob store answers.
#[async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>>;
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Files under a directory; keys are relative paths of safe characters.
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        let safe = !key.is_empty()
            && !key.contains("..")
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_'));
        if !safe || key.starts_with('/') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "bad key",
            ));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl BlobStore for LocalBlobs {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Written aside and renamed: a crash never leaves half a file under the
        // key. The aside name is the writer's own: two writers of one key (a
        // document opened twice at once) never share it, the last rename wins.
        let tmp = path.with_extension(format!("part-{}", uuid::Uuid::new_v4().simple()));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err() {
            // Its name is this writer's own: nobody else would clear it.
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(key)?).await
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
