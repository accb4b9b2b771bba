macro_rules! impl_misc_stores {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::MailboxStore for $store {
            async fn add_demo_message(&self, m: $crate::DemoMessage) -> $crate::Result<()> {
                sqlx::query(
                    "INSERT INTO demo_mailbox (id, channel, destination, subject, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                )
                .bind(m.id)
                .bind(m.channel)
                .bind(m.destination)
                .bind(m.subject)
                .bind(m.body)
                .bind(m.created_at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn list_demo_messages(&self, limit: u32) -> $crate::Result<Vec<$crate::DemoMessage>> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, channel, destination, subject, body, created_at FROM demo_mailbox \
                     ORDER BY created_at DESC, id DESC LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::DemoMessage {
                            id: r.try_get("id")?,
                            channel: r.try_get("channel")?,
                            destination: r.try_get("destination")?,
                            subject: r.try_get("subject")?,
                            body: r.try_get("body")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::OfficeStore for $store {
            async fn upsert_office(
                &self,
                o: $crate::Office,
                hours: Vec<$crate::OfficeHours>,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                $crate::shared::save_office!(tx, o, now);
                sqlx::query("DELETE FROM office_hours WHERE office_id = $1")
                    .bind(o.id)
                    .execute(&mut *tx)
                    .await?;
                for h in hours {
                    sqlx::query(
                        "INSERT INTO office_hours (office_id, weekday, opens_min, closes_min) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(o.id)
                    .bind(i64::from(h.weekday))
                    .bind(i64::from(h.opens_min))
                    .bind(i64::from(h.closes_min))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn list_offices(&self) -> $crate::Result<Vec<$crate::Office>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id, code, name, address, time_zone FROM offices ORDER BY code")
                    .fetch_all(&self.pool)
                    .await?;
                let areas = sqlx::query(
                    "SELECT office_id, region_code, district FROM office_territories ORDER BY region_code, district",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut territory: std::collections::HashMap<uuid::Uuid, Vec<String>> = std::collections::HashMap::new();
                for a in areas {
                    let office: uuid::Uuid = a.try_get("office_id")?;
                    let region: String = a.try_get("region_code")?;
                    let district: String = a.try_get("district")?;
                    territory.entry(office).or_default().push(if district.is_empty() {
                        region
                    } else {
                        format!("{region}-{district}")
                    });
                }
                rows.into_iter()
                    .map(|r| {
                        let id: uuid::Uuid = r.try_get("id")?;
                        Ok($crate::Office {
                            id,
                            code: r.try_get("code")?,
                            name: r.try_get("name")?,
                            address: r.try_get("address")?,
                            time_zone: r.try_get("time_zone")?,
                            territory: territory.remove(&id).unwrap_or_default(),
                        })
                    })
                    .collect()
            }

            async fn save_office(&self, o: $crate::Office, by: &$crate::StaffActor, now: i64) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let details = format!("code={} territory={}", o.code, o.territory.join(","));
                $crate::shared::save_office!(tx, o, now);
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, "office.saved", Some(o.id), details);
                tx.commit().await?;
                Ok(())
            }

            async fn office_for(&self, region_code: &str, district_code: Option<&str>) -> $crate::Result<Option<uuid::Uuid>> {
                // The district's own office first, then the one serving the whole
                // region; of equals, the lowest code (stable, whatever the insert order).
                let office: Option<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT t.office_id FROM office_territories t JOIN offices o ON o.id = t.office_id \
                     WHERE t.region_code = $1 AND (t.district = '' OR t.district = $2) \
                     ORDER BY CASE WHEN t.district = '' THEN 1 ELSE 0 END, o.code LIMIT 1",
                )
                .bind(region_code)
                .bind(district_code.unwrap_or(""))
                .fetch_optional(&self.pool)
                .await?;
                Ok(office)
            }
        }

        #[async_trait::async_trait]
        impl $crate::AuditStore for $store {
            async fn list_audit(&self, subject: uuid::Uuid) -> $crate::Result<Vec<$crate::AuditEvent>> {
                // Ids are UUIDv7: their order is the order in time across lanes.
                let sql = sqlx::AssertSqlSafe(format!("{} WHERE subject_id = $1 ORDER BY id", $crate::shared::SELECT_AUDIT));
                let rows = sqlx::query(sql).bind(subject).fetch_all(&self.pool).await?;
                rows.iter().map($crate::shared::audit_row).collect()
            }

            async fn audit_page(&self, lane: i64, after: i64, limit: u32) -> $crate::Result<Vec<$crate::AuditEvent>> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE lane = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    $crate::shared::SELECT_AUDIT
                ));
                let rows = sqlx::query(sql).bind(lane).bind(after).bind(i64::from(limit)).fetch_all(&self.pool).await?;
                rows.iter().map($crate::shared::audit_row).collect()
            }

            async fn audit_heads(&self) -> $crate::Result<Vec<$crate::AuditHead>> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id, seq, hash FROM audit_head ORDER BY id").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok($crate::AuditHead { lane: r.try_get("id")?, seq: r.try_get("seq")?, hash: r.try_get("hash")? }))
                    .collect()
            }

            async fn audit_strays(&self) -> $crate::Result<i64> {
                use sqlx::Row;
                let r = sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE lane NOT IN (SELECT id FROM audit_head)")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(r.try_get("n")?)
            }

            async fn search_audit(&self, f: &$crate::AuditFilter, limit: u32) -> $crate::Result<Vec<$crate::AuditEvent>> {
                // Fixed text with optional filters: NULL parameters switch a condition off.
                let sql = sqlx::AssertSqlSafe(format!(
                    "{} WHERE ($1 IS NULL OR id < $1) AND ($2 IS NULL OR action LIKE $2 ESCAPE '!') \
                     AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR subject_id = $4) ORDER BY id DESC LIMIT $5",
                    $crate::shared::SELECT_AUDIT
                ));
                let rows = sqlx::query(sql)
                    .bind(f.before)
                    .bind(f.action_prefix.as_ref().map(|p| format!("{}%", p.replace('!', "!!").replace('%', "!%").replace('_', "!_"))))
                    .bind(f.actor_id)
                    .bind(f.subject_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::shared::audit_row).collect()
            }

            async fn audit_staff(
                &self,
                by: &$crate::StaffActor,
                action: &str,
                subject: Option<uuid::Uuid>,
                details: &str,
                now: i64,
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                $crate::shared::audit!(self, tx, now, Some(by.id), Some(by.role.as_str()), by.office_id, action, subject, details);
                tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::Health for $store {
            fn backend(&self) -> &'static str {
                <$store>::DIALECT.name()
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn wal_position(&self) -> $crate::Result<Option<$crate::WalPosition>> {
                use sqlx::Row;
                let Some(sql) = <$store>::WAL_POSITION_SQL else {
                    return Ok(None);
                };
                let r = sqlx::query(sql).fetch_one(&self.pool).await?;
                let bytes: Option<i64> = r.try_get("bytes")?;
                Ok(bytes.map(|bytes| -> $crate::Result<$crate::WalPosition> {
                    Ok($crate::WalPosition { bytes, standby: r.try_get("standby")?, system: r.try_get("system")? })
                }).transpose()?)
            }
        }
    };
}
pub(crate) use impl_misc_stores;
