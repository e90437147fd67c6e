//! The whole fixture corpus through the real engine, delivered the way Meta delivers:
//! retried (duplicates) and out of order. The store must end the same every time.

use cahts_engine::{Engine, EngineConfig};
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn ingest_all(bodies: &[Vec<u8>]) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig::in_dir(dir.path())).unwrap();
    runtime.block_on(async {
        for body in bodies {
            engine.ingest_webhook(body).await.expect("every corpus body is accepted");
        }
        serde_json::to_value(engine.export_json().await.unwrap()).unwrap()
    })
}

#[test]
fn redelivered_and_reordered_webhooks_converge() {
    let bodies: Vec<Vec<u8>> =
        cahts_tests::webhook_fixtures().unwrap().iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(bodies.len() >= 25, "the corpus covers the documented kinds ({} bodies)", bodies.len());
    let expected = ingest_all(&bodies);
    let messages: usize =
        expected["conversations"].as_array().unwrap().iter().map(|c| c["messages"].as_array().unwrap().len()).sum();
    assert!(messages >= 40, "the corpus yields a real store ({messages} messages)");

    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    for round in 0..6 {
        // Every body at least once, a third of them twice (Meta retries), in a random order.
        let mut delivery: Vec<Vec<u8>> = bodies.clone();
        delivery.extend(bodies.iter().step_by(3).cloned());
        delivery.shuffle(&mut rng);
        assert_eq!(ingest_all(&delivery), expected, "round {round}: retries and order must not change the store");
    }
}
