//! Background jobs: token checks, webhook-subscription checks and a light history
//! re-sync. Each job's last run is kept in `settings`, so a restart runs what is due at
//! once instead of waiting another full interval, and a job never runs twice as often
//! because the app was restarted. Failures land in the account's state (needs reconnect,
//! rate limited, unsubscribed), which is what the owner sees.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::domain::account::AccountStatus;
use crate::domain::events::Platform;
use crate::platform::graph::GraphClient;
use crate::services::accounts::{AccountView, Accounts};
use crate::store::{Store, settings};

/// A job and how often it runs.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
}

/// Meta says nothing when a token dies; a cheap call finds out (META-API.md §4 Debug).
pub const TOKENS: Job = Job { name: "tokens", every: Duration::from_secs(6 * 3600) };
/// Meta unsubscribes a Page after an hour of failed deliveries (META-API.md §1).
pub const SUBSCRIPTIONS: Job = Job { name: "subscriptions", every: Duration::from_secs(15 * 60) };
/// Catches what webhooks missed (relay down, gaps): incremental, so usually one page.
pub const HISTORY: Job = Job { name: "history", every: Duration::from_secs(30 * 60) };
pub const ALL: [Job; 3] = [TOKENS, SUBSCRIPTIONS, HISTORY];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    pub job: &'static str,
    pub accounts: usize,
    pub problems: Vec<String>,
}

fn key(job: &Job) -> String {
    format!("job.{}.last_run", job.name)
}

async fn last_run(store: &Store, job: Job) -> crate::domain::Result<Option<i64>> {
    let key = key(&job);
    Ok(store.read(move |c| settings::get(c, &key)).await?.and_then(|v| v.parse().ok()))
}

async fn record_run(store: &Store, job: Job, at: i64) -> crate::domain::Result<()> {
    let key = key(&job);
    store.write(move |tx| settings::set(tx, &key, &at.to_string())).await
}

fn active(accounts: &[AccountView], now: i64) -> impl Iterator<Item = &AccountView> {
    accounts.iter().filter(move |a| match a.status {
        AccountStatus::Connected | AccountStatus::Unsubscribed => true,
        // A paused account is left alone until Meta's time has passed.
        AccountStatus::RateLimited => a.rate_limited_until.is_none_or(|until| until <= now),
        _ => false,
    })
}

/// Runs every job that is due (all of them with `force`). Returns what ran.
pub async fn run_due(
    store: &Store,
    accounts: &Accounts,
    graph: &GraphClient,
    force: bool,
) -> crate::domain::Result<Vec<JobReport>> {
    let mut reports = Vec::new();
    for job in ALL {
        let now = store.now_ms();
        let due = force || last_run(store, job).await?.is_none_or(|last| now - last >= job.every.as_millis() as i64);
        if !due {
            continue;
        }
        let list = match accounts.list().await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, "cannot list accounts");
                continue;
            }
        };
        let mut report = JobReport { job: job.name, accounts: 0, problems: Vec::new() };
        for account in active(&list, now) {
            let outcome = match job.name {
                "tokens" => match check_token(accounts, graph, account).await {
                    // Instagram Login tokens end after 60 days unless refreshed.
                    Ok(()) => accounts.refresh_instagram_token(account.id).await.map(|_| ()).map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                },
                "subscriptions" if account.has_subscription() => {
                    accounts.check_subscription(account.id).await.map(|_| ()).map_err(|e| e.to_string())
                }
                "history" if account.platform != Platform::Whatsapp => {
                    crate::services::sync::backfill(store, accounts.credentials(), graph, account, &|_| {})
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
                _ => continue,
            };
            report.accounts += 1;
            if let Err(problem) = outcome {
                tracing::warn!(job = job.name, account_id = account.id, %problem, "background job found a problem");
                report.problems.push(format!("account {}: {problem}", account.id));
            }
        }
        record_run(store, job, now).await?;
        reports.push(report);
    }
    Ok(reports)
}

/// One cheap authenticated call; a dead token marks the account for reconnecting, and a
/// working one lifts an expired rate-limit pause.
async fn check_token(accounts: &Accounts, graph: &GraphClient, account: &AccountView) -> Result<(), String> {
    let token = accounts.token(account).await.map_err(|e| e.to_string())?;
    let path = match account.platform {
        Platform::Whatsapp => account.asset_id.clone(),
        _ => "me".to_string(),
    };
    match graph.get(account.host(), &path, &token, &[("fields", "id")]).await {
        Ok(answer) => {
            if answer.body.get("id").and_then(Value::as_str).is_none() {
                return Err("Meta's answer had no id".into());
            }
            if account.status == AccountStatus::RateLimited {
                accounts.mark_connected(account.id).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Err(e) => {
            accounts.record_error(account.id, &e).await.map_err(|e| e.to_string())?;
            Err(e.to_string())
        }
    }
}
