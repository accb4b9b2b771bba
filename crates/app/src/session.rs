//! Sessions: a browser's or an API client's token, both rows in the
//! `sessions` table stored by the hash of their token, so every instance
//! sees the same sessions. The edges find the token (cookie or header).

use crate::Portal;
use crate::credentials::tokens::{new_token, token_hash};
use crate::error::AppError;
use store::{Account, NewSession, SessionKind};

/// An authenticated person.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account: Account,
    pub token_hash: String,
    pub csrf: String,
}

/// Resolves the session of a token (from a cookie or a bearer header),
/// extending its idle lifetime.
pub async fn resolve(state: &Portal, token: &str) -> Result<Option<Actor>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = state.now();
    // One read for both: every signed-in request makes it.
    let Some((session, account)) = state.store.find_session_account(&hash, now).await? else {
        return Ok(None);
    };
    // However active, a session ends after its absolute lifetime.
    let end = session.created_at + state.config.session_absolute_ms;
    if now >= end {
        return Ok(None);
    }
    if account.status != domain::account::AccountStatus::Active {
        return Ok(None);
    }
    // Write at most once a minute: a page view should not always be a write.
    if now - session.last_seen_at > 60_000 {
        state
            .store
            .touch_session(&hash, now, (now + state.config.session_idle_ms).min(end))
            .await?;
    }
    Ok(Some(Actor {
        account,
        token_hash: hash,
        csrf: session.csrf_token,
    }))
}

/// Starts a session and returns its token (shown once, never stored).
pub async fn start(
    state: &Portal,
    account_id: uuid::Uuid,
    kind: SessionKind,
    user_agent: &str,
) -> Result<(String, i64), AppError> {
    let token = new_token();
    let now = state.now();
    let expires_at = now
        + state
            .config
            .session_idle_ms
            .min(state.config.session_absolute_ms);
    let device: String = user_agent.chars().take(200).collect();
    let device_key = token_hash(&format!("device:{device}"));
    let notice = crate::notice::job(
        account_id,
        "msg-new-device-subject",
        "msg-new-device-body",
        vec![
            (
                "device".into(),
                if device.is_empty() {
                    "—".into()
                } else {
                    device.clone()
                },
            ),
            ("time".into(), crate::i18n::moment_arg(now)),
        ],
        format!("new-device:{account_id}:{device_key}"),
        now,
    );
    state
        .store
        .create_session(
            NewSession {
                token_hash: token_hash(&token),
                account_id,
                kind,
                csrf_token: new_token(),
                user_agent: device,
                expires_at,
            },
            &device_key,
            Some(notice),
            now,
        )
        .await?;
    Ok((token, expires_at))
}
