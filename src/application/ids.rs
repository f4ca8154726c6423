//! CRM contact ids without a round trip per create: ids are taken from the shared sequence
//! (`crm_contact_id_seq`, persons and companies alike) a block at a time and handed out from memory.
//! Ids stay unique across instances (the sequence hands each block out once); what an instance held
//! when it stopped is never used, a gap like a rolled-back `nextval`'s.

use std::collections::VecDeque;

use super::{App, AppError};
use crate::persistence::next_contact_ids;

/// How many ids one refill takes beyond what the caller needs.
pub(super) const BLOCK: usize = 64;

/// The ids this instance took from the sequence and has not handed out yet, in sequence order.
#[derive(Debug, Default)]
pub(super) struct ContactIds {
    held: tokio::sync::Mutex<VecDeque<i64>>,
}

impl App {
    /// `n` fresh contact ids, in increasing order; one round trip only when the held ones run out.
    pub(super) async fn contact_ids(&self, n: usize) -> Result<Vec<i64>, AppError> {
        let mut held = self.inner.contact_ids.held.lock().await;
        if held.len() < n {
            let more = next_contact_ids(self.pool(), n - held.len() + BLOCK).await?;
            held.extend(more);
        }
        Ok(held.drain(..n).collect())
    }

    /// One fresh contact id.
    pub(super) async fn contact_id(&self) -> Result<i64, AppError> {
        self.contact_ids(1)
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no contact id allocated".into()))
    }
}
