//! `/metrics` in Prometheus text format, named for what an operator watches: are webhooks
//! accepted, why are they refused, is any device falling behind, how long delivery takes.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeviceLabel {
    pub device: String,
    pub tenant: String,
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    webhooks_accepted: Counter,
    webhooks_rejected: Family<ReasonLabel, Counter>,
    events_queued: Counter,
    dead_letters: Counter,
    events_dropped: Family<ReasonLabel, Counter>,
    pub queue_depth: Family<DeviceLabel, Gauge>,
    pub connected_devices: Gauge,
    delivery_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("cahts_relay");
        let m = Self {
            registry: Arc::default(),
            webhooks_accepted: Counter::default(),
            webhooks_rejected: Family::default(),
            events_queued: Counter::default(),
            dead_letters: Counter::default(),
            events_dropped: Family::default(),
            queue_depth: Family::default(),
            connected_devices: Gauge::default(),
            // 0.5 ms … ~4 s: webhook-to-ack latency on a healthy link is milliseconds.
            delivery_latency: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.0005, 2.0, 14,
            )),
        };
        registry.register("webhooks_accepted", "Webhook POSTs answered 200", m.webhooks_accepted.clone());
        registry.register("webhooks_rejected", "Webhook POSTs refused, by reason", m.webhooks_rejected.clone());
        registry.register("events_queued", "Sealed events appended to device queues", m.events_queued.clone());
        registry.register("dead_letters", "Webhook entries no device could receive", m.dead_letters.clone());
        registry.register(
            "events_dropped",
            "Queued events dropped before delivery, by reason",
            m.events_dropped.clone(),
        );
        registry.register("queue_depth", "Events waiting for a device", m.queue_depth.clone());
        registry.register("connected_devices", "Devices with an open websocket", m.connected_devices.clone());
        registry.register(
            "delivery_latency_seconds",
            "From webhook receipt to the device's ack",
            m.delivery_latency.clone(),
        );
        *m.registry.lock().expect("metrics registry poisoned") = registry;
        m
    }

    pub fn accepted(&self, queued: u64, dead_lettered: u64) {
        self.webhooks_accepted.inc();
        self.events_queued.inc_by(queued);
        self.dead_letters.inc_by(dead_lettered);
    }

    pub fn rejected(&self, reason: &'static str) {
        self.webhooks_rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub fn dropped(&self, reason: &'static str, count: u64) {
        if count > 0 {
            self.events_dropped.get_or_create(&ReasonLabel { reason }).inc_by(count);
        }
    }

    pub fn delivered(&self, latency_seconds: f64) {
        self.delivery_latency.observe(latency_seconds.max(0.0));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics registry poisoned");
        // Writing into a String cannot fail.
        encode(&mut out, &registry).expect("encoding metrics into a String");
        out
    }
}
