"""Unit tests of scripts/lib/check_deploy.py (run by scripts/check-deploy):

    python -m unittest discover -s scripts/lib -p 'test_*.py'
"""
import contextlib
import io
import os
import stat
import tempfile
import textwrap
import unittest
from unittest import mock

import check_deploy as cd

# Stands in for `posting-enricher validate-config [FILE]`: prints its
# arguments, the brokers override and a variable it should never see.
FAKE_OK = """\
#!/bin/sh
echo "${2:-defaults}: ok"
printf 'args = "%s"\\n' "$*"
printf '[kafka]\\nbrokers = "%s"\\n' "${POSTING_ENRICHER__KAFKA__BROKERS:-kafka:9092}"
printf 'leaked = "%s"\\n' "${POSTING_ENRICHER__LEAK:-}"
"""
FAKE_ERROR = """\
#!/bin/sh
echo "posting-enricher: error: environment variable POSTING_ENRICHER__KAFKA__NOPE: unknown setting" >&2
exit 2
"""
FAKE_WRONG_ORIGIN = """\
#!/bin/sh
echo "elsewhere.toml: ok"
"""


class TempDirTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def write(self, name, text, executable=False):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        if executable:
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path


class Quiet:
    """Captures what the checks print and resets the counters."""

    def setUp(self):
        super().setUp()
        cd.passed = cd.failed = 0
        self.out = io.StringIO()
        redirect = contextlib.redirect_stdout(self.out)
        redirect.__enter__()
        self.addCleanup(redirect.__exit__, None, None, None)


class Reporting(Quiet, unittest.TestCase):
    def test_check_counts_and_returns_the_condition(self):
        self.assertTrue(cd.check(True, "a"))
        self.assertFalse(cd.check(False, "b", "why"))
        cd.note("c")
        self.assertEqual((cd.passed, cd.failed), (1, 1))
        self.assertEqual(self.out.getvalue(), "ok    a\nFAIL  b: why\nnote  c\n")


class Durations(unittest.TestCase):
    def test_units_and_sums(self):
        self.assertEqual(cd.duration_seconds("30s"), 30)
        self.assertEqual(cd.duration_seconds("1m30s"), 90)
        self.assertEqual(cd.duration_seconds("1h"), 3600)
        self.assertEqual(cd.duration_seconds("2.5s"), 2.5)
        self.assertAlmostEqual(cd.duration_seconds("500ms"), 0.5)
        self.assertEqual(cd.duration_seconds("1m 5s"), 65)

    def test_rejects_what_it_cannot_read(self):
        for text in ("30", "", "abc", "30x", "5s junk", "1d"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                cd.duration_seconds(text)


class Quantities(unittest.TestCase):
    def test_binary_and_decimal_suffixes(self):
        self.assertEqual(cd.mem_bytes("512Mi"), 512 * 2**20)
        self.assertEqual(cd.mem_bytes("1.5Gi"), 1.5 * 2**30)
        self.assertEqual(cd.mem_bytes("200M"), 200e6)
        self.assertEqual(cd.mem_bytes("4k"), 4000)
        self.assertEqual(cd.mem_bytes(1024), 1024)

    def test_rejects_unknown_suffixes(self):
        for q in ("12Q", "Mi", "1 Gi", "-1Gi"):
            with self.subTest(q=q), self.assertRaises(ValueError):
                cd.mem_bytes(q)


class Ports(unittest.TestCase):
    def test_port_of(self):
        self.assertEqual(cd.port_of("0.0.0.0:9464"), 9464)
        self.assertEqual(cd.port_of("[::]:8080"), 8080)
        with self.assertRaises(ValueError):
            cd.port_of("0.0.0.0:metrics")


class Selectors(unittest.TestCase):
    def test_every_selector_label_must_match(self):
        labels = {"app": "posting-enricher", "tier": "worker"}
        self.assertTrue(cd.selector_matches({"app": "posting-enricher"}, labels))
        self.assertTrue(cd.selector_matches(labels, labels))
        self.assertFalse(cd.selector_matches({"app": "other"}, labels))
        self.assertFalse(cd.selector_matches({"app": "posting-enricher", "x": "y"}, labels))

    def test_an_empty_selector_matches_nothing(self):
        self.assertFalse(cd.selector_matches({}, {"app": "x"}))
        self.assertFalse(cd.selector_matches(None, {"app": "x"}))


class ConfigEnv(unittest.TestCase):
    def test_plain_values_secrets_and_other_names(self):
        env = {
            "POSTING_ENRICHER__KAFKA__BROKERS": {"name": "POSTING_ENRICHER__KAFKA__BROKERS", "value": "k:9092"},
            "POSTING_ENRICHER__WORKER__THREADS": {"name": "POSTING_ENRICHER__WORKER__THREADS", "value": 4},
            "POSTING_ENRICHER__KAFKA__COMMON__SASL_PASSWORD": {
                "name": "POSTING_ENRICHER__KAFKA__COMMON__SASL_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}},
            "POSTING_ENRICHER__OUTPUT__ENRICHED_AT": {"name": "POSTING_ENRICHER__OUTPUT__ENRICHED_AT"},
            "RUST_BACKTRACE": {"name": "RUST_BACKTRACE", "value": "1"},
        }
        self.assertEqual(cd.config_env(env), {
            "POSTING_ENRICHER__KAFKA__BROKERS": "k:9092",
            "POSTING_ENRICHER__WORKER__THREADS": "4",
            "POSTING_ENRICHER__KAFKA__COMMON__SASL_PASSWORD": cd.SECRET_PLACEHOLDER,
            "POSTING_ENRICHER__OUTPUT__ENRICHED_AT": "",
        })


class ValidateOutput(unittest.TestCase):
    def test_origin_line_then_the_effective_config(self):
        origin, cfg = cd.parse_validate_output(
            'deploy/compose/config.toml: ok\n[kafka]\ninput_topics = ["a", "b"]\n'
            '[worker]\nshutdown_timeout = "30s"\n')
        self.assertEqual(origin, "deploy/compose/config.toml")
        self.assertEqual(cfg, {"kafka": {"input_topics": ["a", "b"]}, "worker": {"shutdown_timeout": "30s"}})

    def test_defaults_and_an_empty_config(self):
        self.assertEqual(cd.parse_validate_output("defaults: ok\n"), ("defaults", {}))

    def test_unexpected_output(self):
        for out in ("", "[kafka]\nbrokers = \"x\"\n", "x.toml: error\n", "x.toml: ok\nnot toml\n"):
            with self.subTest(out=out), self.assertRaises(ValueError):
                cd.parse_validate_output(out)


class FindBinary(TempDirTest):
    def test_posting_enricher_bin_wins_and_must_be_executable(self):
        exe = self.write("pe", "#!/bin/sh\n", executable=True)
        plain = self.write("not-exe", "")
        self.assertEqual(cd.find_binary({"POSTING_ENRICHER_BIN": exe}), exe)
        self.assertIsNone(cd.find_binary({"POSTING_ENRICHER_BIN": plain}))
        self.assertIsNone(cd.find_binary({"POSTING_ENRICHER_BIN": os.path.join(self.dir, "missing")}))

    def test_target_dirs_otherwise(self):
        os.makedirs(os.path.join(self.dir, "target/debug"))
        self.write("target/debug/posting-enricher", "#!/bin/sh\n", executable=True)
        with mock.patch.object(cd, "BINARY_CANDIDATES",
                               tuple(os.path.join(self.dir, c) for c in cd.BINARY_CANDIDATES)):
            self.assertEqual(cd.find_binary({}), os.path.join(self.dir, "target/debug/posting-enricher"))


class ValidateConfig(TempDirTest):
    def test_ok_returns_the_effective_config(self):
        fake = self.write("ok", FAKE_OK, executable=True)
        cfg, error = cd.validate_config(fake, "c.toml", {"POSTING_ENRICHER__KAFKA__BROKERS": "b:9092"})
        self.assertIsNone(error)
        self.assertEqual(cfg["args"], "validate-config c.toml")
        self.assertEqual(cfg["kafka"]["brokers"], "b:9092")

    def test_no_file_means_defaults(self):
        fake = self.write("ok", FAKE_OK, executable=True)
        cfg, error = cd.validate_config(fake)
        self.assertIsNone(error)
        self.assertEqual(cfg["args"], "validate-config")
        self.assertEqual(cfg["kafka"]["brokers"], "kafka:9092")

    def test_the_callers_own_variables_are_not_passed_on(self):
        fake = self.write("ok", FAKE_OK, executable=True)
        with mock.patch.dict(os.environ, {"POSTING_ENRICHER__LEAK": "yes"}):
            cfg, error = cd.validate_config(fake, "c.toml")
        self.assertIsNone(error)
        self.assertEqual(cfg["kafka"]["leaked"], "")

    def test_an_error_exit_returns_its_message(self):
        fake = self.write("err", FAKE_ERROR, executable=True)
        cfg, error = cd.validate_config(fake, "c.toml")
        self.assertIsNone(cfg)
        self.assertIn("POSTING_ENRICHER__KAFKA__NOPE: unknown setting", error)

    def test_output_for_another_file_is_an_error(self):
        fake = self.write("wrong", FAKE_WRONG_ORIGIN, executable=True)
        cfg, error = cd.validate_config(fake, "c.toml")
        self.assertIsNone(cfg)
        self.assertIn("elsewhere.toml", error)


class CheckConfigFile(Quiet, TempDirTest):
    def ctx(self, script):
        return cd.Context(self.dir, "none", "unavailable", ["1.30.0"], self.write("bin", script, executable=True))

    def test_text_is_written_to_work_and_env_counted(self):
        ctx = self.ctx(FAKE_OK)
        env = {"POSTING_ENRICHER__KAFKA__BROKERS": "b:9092",
               "POSTING_ENRICHER__KAFKA__COMMON__SASL_USERNAME": cd.SECRET_PLACEHOLDER}
        cfg = cd.check_config_file(ctx, None, "base config.toml", env=env, text="[kafka]\n")
        self.assertEqual(cfg["kafka"]["brokers"], "b:9092")
        written = os.path.join(self.dir, "base_config_toml.toml")
        self.assertEqual(cfg["args"], f"validate-config {written}")
        with open(written) as f:
            self.assertEqual(f.read(), "[kafka]\n")
        self.assertEqual((cd.passed, cd.failed), (1, 0))
        self.assertIn("(with the Deployment's 2 POSTING_ENRICHER__* env values, 1 from Secrets as placeholders)",
                      self.out.getvalue())

    def test_failure_is_reported_with_the_binarys_message(self):
        ctx = self.ctx(FAKE_ERROR)
        self.assertIsNone(cd.check_config_file(ctx, "c.toml", "c.toml"))
        self.assertEqual((cd.passed, cd.failed), (0, 1))
        self.assertIn("FAIL  c.toml: ", self.out.getvalue())
        self.assertIn("unknown setting", self.out.getvalue())


class ServiceMonitor(Quiet, unittest.TestCase):
    def test_scrape_timeout_longer_than_interval_fails(self):
        sm = {"metadata": {"name": "pe"},
              "spec": {"selector": {"matchLabels": {"app": "pe"}},
                       "endpoints": [{"port": "metrics", "interval": "15s", "scrapeTimeout": "20s"}]}}
        cd.check_servicemonitor(sm, "base")
        self.assertEqual(cd.failed, 1)
        self.assertIn("scrapeTimeout longer than interval", self.out.getvalue())
        sm["spec"]["endpoints"][0]["scrapeTimeout"] = "10s"
        cd.check_servicemonitor(sm, "base")
        self.assertEqual(cd.passed, 1)


class Dockerfile(TempDirTest):
    def test_instructions_stages_and_uid(self):
        path = self.write("Dockerfile", textwrap.dedent("""\
            # syntax comment
            FROM rust:1.90 AS build
            RUN cargo build \\
                --release
            USER 0
            FROM debian:bookworm-slim
            # a comment
            COPY --from=build /x /y
            USER 10001:10001
            EXPOSE 9464
            """))
        instr = cd.dockerfile_instructions(path)
        self.assertEqual(instr[1], ("RUN", "cargo build      --release"))
        self.assertEqual([w for w, _ in instr], ["FROM", "RUN", "USER", "FROM", "COPY", "USER", "EXPOSE"])
        final = cd.final_stage_of(instr)
        self.assertEqual(final[0], ("FROM", "debian:bookworm-slim"))
        self.assertEqual(cd.docker_uid(final), 10001)
        self.assertIsNone(cd.docker_uid([("FROM", "x"), ("USER", "app")]))
        self.assertIsNone(cd.docker_uid([("FROM", "x")]))


class DockerIgnore(unittest.TestCase):
    def test_patterns_parents_and_negation(self):
        patterns = ["target", ".git", "**/*.swp", "data/*", "!data/keep.bin"]
        self.assertTrue(cd.ignored("target/release/posting-enricher", patterns))
        self.assertTrue(cd.ignored(".git/HEAD", patterns))
        self.assertTrue(cd.ignored("src/x/.main.rs.swp", patterns))
        self.assertTrue(cd.ignored("data/big.bin", patterns))
        self.assertFalse(cd.ignored("data/keep.bin", patterns))
        self.assertFalse(cd.ignored("src/main.rs", patterns))
        self.assertFalse(cd.ignored("targets.txt", patterns))


if __name__ == "__main__":
    unittest.main()
