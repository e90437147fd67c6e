//! The background jobs' schedule, on an injected clock: what is due runs, nothing runs
//! twice as often because of a restart, and each job keeps its own interval.

use std::sync::Arc;
use std::time::Duration;

use cahts_engine::domain::clock::ManualClock;
use cahts_engine::{Engine, EngineConfig};

const MINUTE: Duration = Duration::from_secs(60);

fn ran(reports: &[cahts_engine::services::jobs::JobReport]) -> Vec<&'static str> {
    reports.iter().map(|r| r.job).collect()
}

#[test]
fn jobs_run_when_due_by_the_clock_and_a_restart_does_not_run_them_early() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::at(1_700_000_000_000));
    let open = || {
        let mut config = EngineConfig::in_dir(dir.path());
        config.clock = clock.clone();
        Engine::open(config).expect("open engine")
    };
    let rt = crate::runtime();
    let engine = open();
    rt.block_on(async {
        assert_eq!(ran(&engine.run_jobs(false).await.unwrap()), ["tokens", "subscriptions", "history"], "first start");
        assert!(engine.run_jobs(false).await.unwrap().is_empty(), "nothing is due a moment later");
        clock.advance(15 * MINUTE);
        assert_eq!(ran(&engine.run_jobs(false).await.unwrap()), ["subscriptions"], "every 15 minutes");
        clock.advance(15 * MINUTE - Duration::from_millis(1));
        assert!(engine.run_jobs(false).await.unwrap().is_empty(), "a millisecond early is not due");
        clock.advance(Duration::from_millis(1));
        assert_eq!(ran(&engine.run_jobs(false).await.unwrap()), ["subscriptions", "history"], "every 30 minutes");
    });
    drop(engine);

    // A restart keeps the last runs: only what its interval says runs.
    clock.advance(MINUTE);
    let engine = open();
    rt.block_on(async {
        assert!(engine.run_jobs(false).await.unwrap().is_empty(), "a restart does not rerun what just ran");
        clock.advance(6 * 60 * MINUTE);
        assert_eq!(ran(&engine.run_jobs(false).await.unwrap()), ["tokens", "subscriptions", "history"], "6 h later");
        assert_eq!(ran(&engine.run_jobs(true).await.unwrap()).len(), 3, "forced, everything runs again");
    });
}
