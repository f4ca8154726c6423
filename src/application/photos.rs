//! Contact photos: checked (an image of a known kind, at most 5 MiB), stored durably by content
//! address before the command that refers to them, and served back byte for byte.

use sha2::{Digest, Sha256};
use tracing::instrument;

use super::{Actor, App, AppError};
use crate::domain::values::PhotoRef;
use crate::persistence::photos::{self, Photo};

impl App {
    /// Largest photo accepted.
    pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

    /// Stores a photo for a person the caller is about to create and returns what the event refers to.
    /// `declared` is the client's content type; the stored one is the type the bytes really are.
    #[instrument(skip_all, fields(size = bytes.len()))]
    pub async fn store_photo(&self, actor: &Actor, declared: &str, bytes: &[u8]) -> Result<PhotoRef, AppError> {
        if !actor.may_create_contacts() {
            return Err(AppError::Forbidden("visitors cannot create CRM contacts"));
        }
        if bytes.is_empty() {
            return Err(AppError::invalid("photo", "photo: the file is empty"));
        }
        if bytes.len() > Self::MAX_PHOTO_BYTES {
            return Err(AppError::invalid("photo", "photo: larger than 5 MiB"));
        }
        if !declared.trim().to_ascii_lowercase().starts_with("image/") {
            return Err(AppError::invalid("photo", "photo: the content type must be image/*"));
        }
        let content_type =
            sniff(bytes).ok_or_else(|| AppError::invalid("photo", "photo: must be a PNG, JPEG, GIF or WebP image"))?;
        let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        photos::insert(self.pool(), &sha256, content_type, bytes).await?;
        Ok(PhotoRef {
            sha256,
            content_type: content_type.to_string(),
            size: bytes.len() as u64,
        })
    }

    /// The photo of a person.
    pub async fn photo(&self, actor: &Actor, person_id: i64) -> Result<Photo, AppError> {
        let person = self.get_person(actor, person_id).await?;
        let photo = person.photo.ok_or(AppError::NotFound("photo"))?;
        photos::get(self.pool(), &photo.sha256).await?.ok_or_else(|| {
            AppError::Internal(format!("photo {} of person {person_id} is missing", photo.sha256).into())
        })
    }
}

/// The image type the magic bytes show.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn the_four_image_kinds_are_recognised_by_their_magic_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg xmlns=..."), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
    }
}
