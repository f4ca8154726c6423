//! Contact photos: an upload is checked (an image of a known kind, at most 5 MiB) and becomes the
//! reference its create's event carries; the bytes are stored by content address in the same
//! statement as that event (`store::Order::photo`), so a refused create stores nothing.

use sha2::{Digest, Sha256};

use super::{Actor, App, AppError, RequestError};
use crate::domain::values::PhotoRef;
use crate::persistence::events::NewPhoto;
use crate::persistence::photos::{self, Photo};

/// A photo as uploaded: the content type the client declared, and the bytes.
#[derive(Debug, Clone)]
pub struct PhotoUpload {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl PhotoUpload {
    /// Largest photo accepted.
    pub const MAX_BYTES: usize = 5 * 1024 * 1024;

    /// Checks the upload: what an event refers to, and the bytes to store with it. The stored content
    /// type is the type the bytes really are, not the declared one.
    pub(super) fn checked(self) -> Result<(PhotoRef, NewPhoto), AppError> {
        if self.bytes.is_empty() {
            return Err(RequestError::PhotoEmpty.into());
        }
        if self.bytes.len() > Self::MAX_BYTES {
            return Err(RequestError::PhotoTooLarge.into());
        }
        if !self.content_type.trim().to_ascii_lowercase().starts_with("image/") {
            return Err(RequestError::PhotoNotAnImage.into());
        }
        let content_type = sniff(&self.bytes).ok_or(RequestError::PhotoKindUnknown)?;
        let sha256: String = Sha256::digest(&self.bytes).iter().map(|b| format!("{b:02x}")).collect();
        let reference = PhotoRef {
            sha256: sha256.clone(),
            content_type: content_type.to_string(),
            size: self.bytes.len() as u64,
        };
        let stored = NewPhoto {
            sha256,
            content_type: content_type.to_string(),
            bytes: self.bytes,
        };
        Ok((reference, stored))
    }
}

impl PhotoUpload {
    /// Checks an optional upload: the reference goes into `slot` (a draft's or patch's photo), the
    /// bytes come back, to be stored with the event that refers to them.
    pub(super) fn attach(
        upload: Option<PhotoUpload>,
        slot: &mut Option<PhotoRef>,
    ) -> Result<Option<NewPhoto>, AppError> {
        match upload {
            Some(upload) => {
                let (reference, stored) = upload.checked()?;
                *slot = Some(reference);
                Ok(Some(stored))
            }
            None => Ok(None),
        }
    }
}

impl App {
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
