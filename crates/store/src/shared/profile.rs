macro_rules! impl_profile_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::ProfileStore for $store {
            async fn lang_of(&self, account_id: uuid::Uuid) -> $crate::Result<Option<String>> {
                let lang: Option<String> = sqlx::query_scalar("SELECT lang FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(lang)
            }

            async fn set_lang(&self, account_id: uuid::Uuid, lang: &str) -> $crate::Result<()> {
                sqlx::query("UPDATE accounts SET lang = $2 WHERE id = $1 AND lang <> $2")
                    .bind(account_id)
                    .bind(lang)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn addresses(&self, account_id: uuid::Uuid) -> $crate::Result<Vec<$crate::Address>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT kind, region_code, postcode, region, city, street, house, flat FROM addresses \
                     WHERE account_id = $1 ORDER BY kind",
                )
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::Address {
                            kind: r.try_get("kind")?,
                            region_code: r.try_get("region_code")?,
                            postcode: r.try_get("postcode")?,
                            region: r.try_get("region")?,
                            city: r.try_get("city")?,
                            street: r.try_get("street")?,
                            house: r.try_get("house")?,
                            flat: r.try_get("flat")?,
                        })
                    })
                    .collect()
            }

            async fn save_address(&self, account_id: uuid::Uuid, a: $crate::Address, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let action = format!("profile.address_saved.{}", a.kind);
                sqlx::query(
                    "INSERT INTO addresses (account_id, kind, region_code, postcode, region, city, street, house, flat, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (account_id, kind) DO UPDATE SET \
                     region_code = excluded.region_code, postcode = excluded.postcode, region = excluded.region, \
                     city = excluded.city, street = excluded.street, house = excluded.house, flat = excluded.flat, \
                     updated_at = excluded.updated_at",
                )
                .bind(account_id)
                .bind(a.kind)
                .bind(a.region_code)
                .bind(a.postcode)
                .bind(a.region)
                .bind(a.city)
                .bind(a.street)
                .bind(a.house)
                .bind(a.flat)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                $crate::shared::audit!(self, tx, now, Some(account_id), action, Some(account_id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn notification_prefs(&self, account_id: uuid::Uuid) -> $crate::Result<Vec<$crate::NotificationPref>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT kind, channel, enabled FROM notification_prefs WHERE account_id = $1 ORDER BY kind, channel")
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok($crate::NotificationPref { kind: r.try_get("kind")?, channel: r.try_get("channel")?, enabled: r.try_get("enabled")? }))
                    .collect()
            }

            async fn save_notification_prefs(
                &self,
                account_id: uuid::Uuid,
                prefs: Vec<$crate::NotificationPref>,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let details = prefs.iter().map(|p| format!("{}.{}={}", p.kind, p.channel, p.enabled)).collect::<Vec<_>>().join(" ");
                for p in prefs {
                    sqlx::query(
                        "INSERT INTO notification_prefs (account_id, kind, channel, enabled) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account_id, kind, channel) DO UPDATE SET enabled = excluded.enabled",
                    )
                    .bind(account_id)
                    .bind(p.kind)
                    .bind(p.channel)
                    .bind(p.enabled)
                    .execute(&mut *tx)
                    .await?;
                }
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "profile.notifications_saved", Some(account_id), details);
                tx.commit().await?;
                Ok(())
            }

            async fn set_contact(
                &self,
                challenge_id: uuid::Uuid,
                kind: &str,
                value: &str,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                use sqlx::Row;
                let sql = match kind {
                    "phone" => "UPDATE accounts SET phone = $2, updated_at = $3 WHERE id = $1",
                    "email" => "UPDATE accounts SET email = $2, updated_at = $3 WHERE id = $1",
                    other => return Err($crate::StoreError::Corrupt(format!("contact kind {other}"))),
                };
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE otp_challenges SET consumed = TRUE WHERE id = $1 AND consumed = FALSE \
                     AND purpose = 'add_contact' AND account_id IS NOT NULL RETURNING account_id",
                )
                .bind(challenge_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else { return Err($crate::StoreError::Stale) };
                let account_id: uuid::Uuid = row.try_get("account_id")?;
                sqlx::query(sql)
                    .bind(account_id)
                    .bind(value)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::StoreError::from_insert)?;
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), format!("profile.contact_set.{kind}"), Some(account_id), "");
                tx.commit().await?;
                Ok(())
            }

            async fn register_at_centre(
                &self,
                a: $crate::NewAccount,
                identity: $crate::NewIdentity,
                first_login: $crate::NewChallenge,
                deliver: $crate::NewJob,
                by: &$crate::StaffActor,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let id = a.id;
                // Confirmed only once the registries verify the data the operator
                // saw (domain::confirmation): until then the account is simplified.
                let mut a = a;
                a.level = domain::account::AssuranceLevel::Simplified;
                insert_account(&mut tx, a, now).await?;
                let method = format!(
                    "method=service_centre_registration staff={} office={}",
                    by.id,
                    by.office_id.map(|o| o.to_string()).unwrap_or_default()
                );
                sqlx::query($crate::shared::INSERT_IDENTITY)
                    .bind(id)
                    .bind(1i64)
                    .bind(identity.document_kind)
                    .bind(identity.snils_lookup)
                    .bind(identity.key_id)
                    .bind(identity.sealed)
                    .bind(identity.masked)
                    .bind(now)
                    .bind(Some(method))
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::StoreError::from_insert)?;
                let payload = serde_json::json!({ "account_id": id, "version": 1 });
                let job = $crate::NewJob::now($crate::job_kind::VERIFY_IDENTITY, payload.to_string(), now)
                    .dedup(format!("verify:{id}:1"))
                    .max_attempts(10_000);
                $crate::shared::enqueue!(tx, job, now);
                sqlx::query($crate::shared::INSERT_CHALLENGE)
                .bind(first_login.id)
                .bind(id)
                .bind(first_login.purpose.as_str())
                .bind(first_login.channel.as_str())
                .bind(first_login.destination)
                .bind(first_login.code_hash)
                .bind(now)
                .bind(first_login.identity_version)
                .execute(&mut *tx)
                .await?;
                $crate::shared::enqueue!(tx, deliver, now);
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "identity.registered_at_centre", Some(id), "confirmed when the registries verify");
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_profile_store;
