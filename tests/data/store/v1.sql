-- A cpa store at schema version 1, the first released layout (kept to test the upgrade to v2).
-- Version 1 kept only the raw text of each metric (no metric name, no numeric column), a single
-- target per evaluation and a single target per decision.
PRAGMA application_id = 1129333075;  -- 0x43504153 "CPAS"
PRAGMA user_version = 1;
CREATE TABLE metrics (
  autoscaler TEXT NOT NULL,
  ts INTEGER NOT NULL,
  resource TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX metrics_by_time ON metrics (autoscaler, ts);
CREATE TABLE evaluations (
  autoscaler TEXT NOT NULL,
  ts INTEGER NOT NULL,
  target_replicas INTEGER NOT NULL
);
CREATE INDEX evaluations_by_time ON evaluations (autoscaler, ts);
CREATE TABLE decisions (
  autoscaler TEXT NOT NULL,
  ts INTEGER NOT NULL,
  current_replicas INTEGER NOT NULL,
  target_replicas INTEGER NOT NULL,
  applied INTEGER NOT NULL
);
CREATE INDEX decisions_by_time ON decisions (autoscaler, ts);

-- Two autoscalers, a few runs each (timestamps: ms since the epoch).
INSERT INTO metrics VALUES ('default/web', 1700000000000, 'web-1', '3');
INSERT INTO metrics VALUES ('default/web', 1700000000000, 'web-2', '5.5
');
INSERT INTO metrics VALUES ('default/web', 1700000015000, 'web-1', '4');
INSERT INTO metrics VALUES ('default/web', 1700000015000, 'web-2', 'n/a');
INSERT INTO metrics VALUES ('shop/api', 1700000000000, 'api', '{"rps": 12}');
INSERT INTO evaluations VALUES ('default/web', 1700000000000, 2);
INSERT INTO evaluations VALUES ('default/web', 1700000015000, 3);
INSERT INTO evaluations VALUES ('shop/api', 1700000000000, 1);
INSERT INTO decisions VALUES ('default/web', 1700000000000, 1, 2, 1);
INSERT INTO decisions VALUES ('default/web', 1700000015000, 2, 3, 1);
INSERT INTO decisions VALUES ('shop/api', 1700000000000, 1, 1, 0);
