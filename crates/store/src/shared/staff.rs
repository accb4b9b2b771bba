macro_rules! account_from_row {
    ($r:expr) => {
        $crate::Account {
            id: $r.try_get("id")?,
            surname: $r.try_get("surname")?,
            given_name: $r.try_get("given_name")?,
            patronymic: $r.try_get("patronymic")?,
            phone: $r.try_get("phone")?,
            email: $r.try_get("email")?,
            status: $crate::shared::status($r.try_get("status")?)?,
            level: $crate::shared::level($r.try_get("level")?)?,
            role: $crate::shared::role($r.try_get("role")?)?,
            office_id: $r.try_get("office_id")?,
            created_at: $r.try_get("created_at")?,
        }
    };
}
pub(crate) use account_from_row;

macro_rules! impl_staff_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::SecondFactorStore for $store {
            async fn set_totp_pending(&self, account_id: uuid::Uuid, key_id: &str, sealed: Vec<u8>, now: i64) -> $crate::Result<()> {
                let done = sqlx::query(
                    "INSERT INTO second_factors (account_id, method, key_id, sealed_secret, enabled, last_step, created_at) \
                     VALUES ($1, 'totp', $2, $3, FALSE, 0, $4) ON CONFLICT (account_id) DO UPDATE SET \
                     method = 'totp', key_id = excluded.key_id, sealed_secret = excluded.sealed_secret, created_at = excluded.created_at \
                     WHERE second_factors.enabled = FALSE",
                )
                .bind(account_id)
                .bind(key_id)
                .bind(sealed)
                .bind(now)
                .execute(&self.writer)
                .await?;
                if done.rows_affected() == 1 { Ok(()) } else { Err($crate::StoreError::Stale) }
            }

            async fn get_totp(&self, account_id: uuid::Uuid) -> $crate::Result<Option<$crate::TotpRecord>> {
                use sqlx::Row;
                let row = sqlx::query("SELECT method, key_id, sealed_secret, enabled, last_step FROM second_factors WHERE account_id = $1")
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(Some($crate::TotpRecord {
                    method: {
                        let m: String = r.try_get("method")?;
                        domain::totp::FactorMethod::parse(&m)
                            .ok_or_else(|| $crate::StoreError::Corrupt(format!("second factor method {m}")))?
                    },
                    key_id: r.try_get("key_id")?,
                    sealed_secret: r.try_get("sealed_secret")?,
                    enabled: r.try_get("enabled")?,
                    last_step: r.try_get("last_step")?,
                }))
            }

            async fn enable_totp(
                &self,
                account_id: uuid::Uuid,
                step: i64,
                recovery_hashes: Vec<String>,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE second_factors SET enabled = TRUE, last_step = $2 WHERE account_id = $1 AND enabled = FALSE")
                    .bind(account_id)
                    .bind(step)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::Stale);
                }
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
                for h in recovery_hashes {
                    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                        .bind(account_id)
                        .bind(h)
                        .execute(&mut *tx)
                        .await?;
                }
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "second_factor.enabled", Some(account_id), "totp");
                tx.commit().await?;
                Ok(())
            }

            async fn enable_code_factor(
                &self,
                account_id: uuid::Uuid,
                recovery_hashes: Vec<String>,
                notice: $crate::NewJob,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "INSERT INTO second_factors (account_id, method, key_id, sealed_secret, enabled, last_step, created_at) \
                     VALUES ($1, 'code', '', $2, TRUE, 0, $3) ON CONFLICT (account_id) DO UPDATE SET \
                     method = 'code', key_id = '', sealed_secret = excluded.sealed_secret, enabled = TRUE, created_at = excluded.created_at \
                     WHERE second_factors.enabled = FALSE",
                )
                .bind(account_id)
                .bind(Vec::<u8>::new())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::Stale);
                }
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
                for h in recovery_hashes {
                    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                        .bind(account_id)
                        .bind(h)
                        .execute(&mut *tx)
                        .await?;
                }
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, Some(account_id), "second_factor.enabled", Some(account_id), "code");
                tx.commit().await?;
                Ok(())
            }

            async fn use_totp_step(&self, account_id: uuid::Uuid, step: i64) -> $crate::Result<bool> {
                let done = sqlx::query("UPDATE second_factors SET last_step = $2 WHERE account_id = $1 AND enabled = TRUE AND last_step < $2")
                    .bind(account_id)
                    .bind(step)
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn use_recovery_code(&self, account_id: uuid::Uuid, code_hash: &str, now: i64) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL")
                    .bind(account_id)
                    .bind(code_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                $crate::shared::audit!(self, tx, now, Some(account_id), "second_factor.recovery_code_used", Some(account_id), "");
                tx.commit().await?;
                Ok(true)
            }

            async fn disable_totp(&self, account_id: uuid::Uuid, actor: Option<uuid::Uuid>, notice: $crate::NewJob, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM second_factors WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
                $crate::shared::enqueue!(tx, notice, now);
                $crate::shared::audit!(self, tx, now, actor, "second_factor.disabled", Some(account_id), "");
                tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::AccessLogStore for $store {
            async fn record_access(&self, a: $crate::DataAccess) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let details = format!("purpose={} reference={}", a.purpose, a.reference);
                sqlx::query(
                    "INSERT INTO data_access (id, person_id, staff_id, staff_role, office_id, at, purpose, reference) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(a.id)
                .bind(a.person_id)
                .bind(a.staff_id)
                .bind(a.staff_role.clone())
                .bind(a.office_id)
                .bind(a.at)
                .bind(a.purpose)
                .bind(a.reference)
                .execute(&mut *tx)
                .await?;
                $crate::shared::audit!(self, tx, a.at, Some(a.staff_id), Some(a.staff_role), a.office_id, "person.data_read", Some(a.person_id), details);
                tx.commit().await?;
                Ok(())
            }

            async fn list_access(&self, person_id: uuid::Uuid) -> $crate::Result<Vec<$crate::DataAccess>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, person_id, staff_id, staff_role, office_id, at, purpose, reference FROM data_access \
                     WHERE person_id = $1 ORDER BY at DESC, id DESC",
                )
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::DataAccess {
                            id: r.try_get("id")?,
                            person_id: r.try_get("person_id")?,
                            staff_id: r.try_get("staff_id")?,
                            staff_role: r.try_get("staff_role")?,
                            office_id: r.try_get("office_id")?,
                            at: r.try_get("at")?,
                            purpose: r.try_get("purpose")?,
                            reference: r.try_get("reference")?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::StaffAdminStore for $store {
            async fn list_staff(&self) -> $crate::Result<Vec<$crate::Account>> {
                use sqlx::Row;
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE role <> 'applicant' ORDER BY surname, given_name, id", $crate::shared::SELECT_ACCOUNT));
                let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok($crate::shared::account_from_row!(r))).collect()
            }

            async fn update_staff(
                &self,
                id: uuid::Uuid,
                role: domain::account::Role,
                office_id: Option<uuid::Uuid>,
                status: domain::account::AccountStatus,
                by: &$crate::StaffActor,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE accounts SET role = $2, office_id = $3, status = $4, updated_at = $5 WHERE id = $1 AND role <> 'applicant'",
                )
                .bind(id)
                .bind(role.as_str())
                .bind(office_id)
                .bind(status.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err($crate::StoreError::NotFound);
                }
                if status != domain::account::AccountStatus::Active {
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
                }
                let details = format!("role={} office={} status={}", role.as_str(), office_id.map(|o| o.to_string()).unwrap_or_default(), status.as_str());
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "staff.updated", Some(id), details);
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_staff_store;
