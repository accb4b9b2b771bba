//! One-time codes that prove a phone or e-mail (SPEC §2.1): 6 digits, short
//! lifetime, limited attempts and resends. Time is passed in as unix milliseconds.

/// What a challenge proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The phone or e-mail given at registration.
    Contact,
    /// A password reset (and a first login after registration at a centre).
    Reset,
    /// A new phone or e-mail for an existing account.
    AddContact,
    /// The second step of a login.
    LoginSecondFactor,
    /// A qualified signature over random bytes (the confirmed level).
    Signature,
}

impl Purpose {
    pub const ALL: [Purpose; 5] = [
        Self::Contact,
        Self::Reset,
        Self::AddContact,
        Self::LoginSecondFactor,
        Self::Signature,
    ];

    /// As stored; never rename one.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Reset => "reset",
            Self::AddContact => "add_contact",
            Self::LoginSecondFactor => "login_2fa",
            Self::Signature => "qes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether a new code may be sent for it: only codes that prove a
    /// contact or reset a password; a second factor is asked for anew by
    /// logging in, so a resend can never move it.
    pub const fn resendable(self) -> bool {
        matches!(self, Self::Contact | Self::Reset | Self::AddContact)
    }
}

/// How a challenge reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeChannel {
    Sms,
    Email,
    /// An authenticator app (nothing is sent).
    Totp,
    /// A code by SMS or e-mail as the second factor.
    Code,
    /// Bytes to sign (nothing is sent).
    Signature,
}

impl ChallengeChannel {
    pub const ALL: [ChallengeChannel; 5] = [
        Self::Sms,
        Self::Email,
        Self::Totp,
        Self::Code,
        Self::Signature,
    ];

    /// As stored; never rename one.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Totp => "totp",
            Self::Code => "code",
            Self::Signature => "signature",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channel a code is delivered by ("sms" or "email"); nothing else.
    pub fn delivery(name: &str) -> Option<Self> {
        match name {
            "sms" => Some(Self::Sms),
            "email" => Some(Self::Email),
            _ => None,
        }
    }
}

/// Limits of one code challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a sent code stays valid.
    pub ttl_ms: i64,
    /// Wrong entries allowed before the challenge is burnt.
    pub max_attempts: u32,
    /// Codes that may be sent for one challenge (the first included).
    pub max_sends: u32,
    /// Pause between two sends, so a person is not flooded with SMS.
    pub resend_after_ms: i64,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            ttl_ms: 5 * 60 * 1000,
            max_attempts: 5,
            max_sends: 5,
            resend_after_ms: 60 * 1000,
        }
    }
}

/// The stored state of a challenge, as the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpState {
    pub sent_at_ms: i64,
    pub sends: u32,
    pub attempts: u32,
    pub consumed: bool,
}

/// What entering a code leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpVerdict {
    Accepted,
    Wrong { attempts_left: u32 },
    Expired,
    TooManyAttempts,
    AlreadyUsed,
}

impl OtpVerdict {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Accepted => "otp.accepted",
            Self::Wrong { .. } => "otp.wrong",
            Self::Expired => "otp.expired",
            Self::TooManyAttempts => "otp.too_many_attempts",
            Self::AlreadyUsed => "otp.already_used",
        }
    }
}

impl OtpPolicy {
    /// Judges one entry. `matches` says whether the entered code equals the stored one;
    /// it is only consulted when the challenge is still open, so a burnt challenge
    /// reveals nothing about the code.
    pub fn judge(&self, state: &OtpState, now_ms: i64, matches: bool) -> OtpVerdict {
        if state.consumed {
            return OtpVerdict::AlreadyUsed;
        }
        if state.attempts >= self.max_attempts {
            return OtpVerdict::TooManyAttempts;
        }
        if now_ms - state.sent_at_ms > self.ttl_ms {
            return OtpVerdict::Expired;
        }
        if matches {
            OtpVerdict::Accepted
        } else {
            let used = state.attempts + 1;
            if used >= self.max_attempts {
                OtpVerdict::TooManyAttempts
            } else {
                OtpVerdict::Wrong {
                    attempts_left: self.max_attempts - used,
                }
            }
        }
    }

    /// Whether a new code may be sent now; `Err` carries the milliseconds to wait,
    /// or `None` when no more codes will be sent for this challenge.
    pub fn may_resend(&self, state: &OtpState, now_ms: i64) -> Result<(), Option<i64>> {
        if state.consumed || state.sends >= self.max_sends {
            return Err(None);
        }
        let wait = state.sent_at_ms + self.resend_after_ms - now_ms;
        if wait > 0 { Err(Some(wait)) } else { Ok(()) }
    }
}

/// Turns a random number into a 6-digit code with leading zeros kept.
pub fn code_from_random(random: u32) -> String {
    format!("{:06}", random % 1_000_000)
}

/// Whether the text a person typed has the shape of a code (spaces allowed).
pub fn normalise_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fresh(sent_at_ms: i64) -> OtpState {
        OtpState {
            sent_at_ms,
            sends: 1,
            attempts: 0,
            consumed: false,
        }
    }

    #[test]
    fn accepts_right_code_in_time() {
        let p = OtpPolicy::default();
        assert_eq!(p.judge(&fresh(0), 1000, true), OtpVerdict::Accepted);
    }

    #[test]
    fn expired_code_is_refused_even_if_right() {
        let p = OtpPolicy::default();
        assert_eq!(p.judge(&fresh(0), p.ttl_ms + 1, true), OtpVerdict::Expired);
    }

    #[test]
    fn attempts_run_out() {
        let p = OtpPolicy::default();
        let mut s = fresh(0);
        for left in (1..p.max_attempts).rev() {
            assert_eq!(
                p.judge(&s, 10, false),
                OtpVerdict::Wrong {
                    attempts_left: left
                }
            );
            s.attempts += 1;
        }
        assert_eq!(p.judge(&s, 10, false), OtpVerdict::TooManyAttempts);
        s.attempts += 1;
        // Even the right code is refused once the challenge is burnt.
        assert_eq!(p.judge(&s, 10, true), OtpVerdict::TooManyAttempts);
    }

    #[test]
    fn used_code_is_refused() {
        let p = OtpPolicy::default();
        let mut s = fresh(0);
        s.consumed = true;
        assert_eq!(p.judge(&s, 10, true), OtpVerdict::AlreadyUsed);
    }

    #[test]
    fn resend_waits_and_is_limited() {
        let p = OtpPolicy::default();
        let mut s = fresh(0);
        assert_eq!(p.may_resend(&s, 1000), Err(Some(p.resend_after_ms - 1000)));
        assert_eq!(p.may_resend(&s, p.resend_after_ms), Ok(()));
        s.sends = p.max_sends;
        assert_eq!(p.may_resend(&s, p.resend_after_ms * 10), Err(None));
    }

    #[test]
    fn purposes_and_channels_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
        for c in ChallengeChannel::ALL {
            assert_eq!(ChallengeChannel::parse(c.as_str()), Some(c));
        }
        assert!(!Purpose::LoginSecondFactor.resendable());
        assert!(Purpose::AddContact.resendable());
    }

    #[test]
    fn code_shape() {
        assert_eq!(code_from_random(42), "000042");
        assert_eq!(normalise_code(" 123 456 "), Some("123456".into()));
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("12345a"), None);
        assert_eq!(normalise_code("１２３４５６"), None);
    }

    proptest! {
        #[test]
        fn codes_are_six_digits(r in any::<u32>()) {
            let c = code_from_random(r);
            prop_assert_eq!(c.len(), 6);
            prop_assert!(c.chars().all(|c| c.is_ascii_digit()));
        }

        #[test]
        fn never_accepts_after_expiry(extra in 1i64..10_000_000, attempts in 0u32..10) {
            let p = OtpPolicy::default();
            let s = OtpState { sent_at_ms: 0, sends: 1, attempts, consumed: false };
            prop_assert_ne!(p.judge(&s, p.ttl_ms + extra, true), OtpVerdict::Accepted);
        }
    }
}
