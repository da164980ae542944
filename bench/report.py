"""The table on the terminal and bench/results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

TARGETS: dict[str, tuple[str, float]] = {
    "turn_latency_over_silence_ms": ("<=", 250),
    "listener_overhead_ratio": ("<=", 1.10),
    "greeting_start_ms": ("<=", 500),
    "rss_over_bare_model_mb": ("<=", 80),
    "second_run_synth_calls": ("<=", 0),
    "wake_idle_cpu_pct": ("<=", 3),
    "wake_to_prompt_ms": ("<=", 800),
    "false_wakes_per_hour": ("<=", 0),
    "wake_miss_rate": ("<=", 0.05),
    "listen_rss_growth_pct": ("<=", 5),
    "pi_class_turn_latency_ms": ("<=", 400),
    "pi_class_first_turn_ms": ("<=", 1000),
    "pi_class_mic_overflows": ("<=", 0),
    "journal_10y_start_ratio": ("<=", 1.2),
    "journal_10y_search_ms": ("<=", 300),
    "journal_10y_list_ms": ("<=", 500),
    "journal_10y_update_ms": ("<=", 500),
    "piper_private_first_audio_ms": ("<=", 400),
    "piper_wer": ("<=", 0.25),
    "encrypt_save_overhead_ms": ("<=", 50),
    "decrypt_10y_search_s": ("<=", 2.5),
    "decrypt_10y_search_s_pi": ("<=", 10),
    "week_review_start_ratio": ("<=", 1.2),
    "polish_wer_piper": ("<=", 0.06),
    "polish_rtf": ("<=", 0.3),
    "polish_pi_min_per_10min": ("<=", 15),
    "polish_session_end_wait_s": ("<=", 2),
    "polish_beside_turn_latency_ms": ("<=", 250),
    "polish_beside_listener_overhead_ratio": ("<=", 1.10),
    "barge_in_success_rate": (">=", 0.9),
    "barge_in_stop_ms": ("<=", 500),
    "false_barge_ins_per_hour": ("<=", 0),
    "barge_in_cpu_pct": ("<=", 5),
}
ROWS = (
    ("turn_latency_over_silence_ms", "turn latency over silence (ms)"),
    ("listener_overhead_ratio", "listener CPU / bare Vosk loop"),
    ("greeting_start_ms", "spawn -> greeting heard (ms)"),
    ("first_listening_ms", "spawn -> first listening (ms)"),
    ("python_startup_ms", "  baseline: python -c pass (ms)"),
    ("rss_over_bare_model_mb", "peak RSS over bare model (MB)"),
    ("second_run_synth_calls", "syntheses on the second run"),
    ("wake_idle_cpu_pct", "listen waiting: % of a core"),
    ("wake_to_prompt_ms", "wake phrase end -> greeting (ms)"),
    ("false_wakes_per_hour", "false wakes per hour of talk"),
    ("wake_miss_rate", "wake phrases missed (share)"),
    ("listen_rss_growth_pct", "listen RSS growth, 50 rituals (%)"),
    ("pi_class_turn_latency_ms", "pi-class turn latency (ms)"),
    ("pi_class_first_turn_ms", "  the first answer of a run (ms)"),
    ("pi_class_wake_to_prompt_ms", "pi-class wake -> greeting (ms)"),
    ("pi_class_mic_overflows", "pi-class mic overflows"),
    ("journal_10y_start_ratio", "evening at 10 years / empty journal"),
    ("journal_10y_search_ms", "journal search at 10 years (ms)"),
    ("journal_10y_list_ms", "journal list at 10 years (ms)"),
    ("journal_10y_update_ms", "index: one new day (ms)"),
    ("journal_10y_rebuild_s", "index: full rebuild (s)"),
    ("piper_private_first_audio_ms", "Piper read-back -> first sound (ms)"),
    ("prepare_morning_s", "prepare morning, Piper (s)"),
    ("piper_private_first_audio_ms_pi", "  the same, Pi-class CPU (ms)"),
    ("prepare_morning_s_pi", "  the same, Pi-class CPU (s)"),
    ("piper_wer", "Piper word error rate"),
    ("espeak_wer", "  espeak-ng word error rate"),
    ("encrypt_save_overhead_ms", "encrypted save - plain save (ms)"),
    ("decrypt_10y_search_s", "search, 10 encrypted years (s)"),
    ("decrypt_10y_search_s_pi", "  the same, Pi-class CPU (s)"),
    ("week_review_start_ms", "weekly review -> first sound, 10y (ms)"),
    ("week_review_start_ratio", "  at 10 years / empty journal"),
    ("polish_wer", "second listen: word error rate"),
    ("polish_wer_piper", "  Piper answers"),
    ("polish_wer_espeak", "  espeak-ng answers"),
    ("polish_wer_vosk_rules", "  Vosk's text with the pause rules"),
    ("polish_rtf", "second listen: CPU s per audio s"),
    ("polish_pi_min_per_10min", "  Pi-class: min per 10 min"),
    ("polish_session_end_wait_s", "ritual's end waits for it (s)"),
    ("polish_beside_turn_latency_ms", "turn latency, polishing beside (ms)"),
    ("polish_beside_listener_overhead_ratio", "listener / bare, polishing beside"),
    ("barge_in_success_rate", "commands over prompts heard right"),
    ("barge_in_wrong_command_rate", "  heard as another command"),
    ("barge_in_stop_ms", "command end -> prompt silent (ms)"),
    ("false_barge_ins_per_hour", "false barge-ins per hour of prompts"),
    ("barge_in_cpu_pct", "barge-in: % of a core over a prompt"),
    ("pi_class_barge_in_realtime_pct", "  pi-class: % of real time"),
)


def _median(value: Any) -> float:
    return float(value["median"] if isinstance(value, dict) else value)


def verdict(key: str, value: Any) -> Optional[bool]:
    """True when the median meets the target, None when the figure has none."""
    if key not in TARGETS or value is None or isinstance(value, str):
        return None
    op, limit = TARGETS[key]
    return _median(value) >= limit if op == ">=" else _median(value) <= limit


def _cell(value: Any) -> tuple[str, str, str]:
    if isinstance(value, str):  # a figure that could not be measured, and why
        return "-", value.split(":")[0], "0"
    if isinstance(value, dict):
        return f"{value['median']:g}", f"{value['min']:g}–{value['max']:g}", str(value["runs"])
    return f"{value:g}", "", "1"


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':34} {'median':>8} {'min–max':>17} {'runs':>4}  target"]
    for key, label in ROWS:
        if key not in results:
            continue
        median, spread, runs = _cell(results[key])
        target = ""
        if key in TARGETS:
            op, limit = TARGETS[key]
            met = verdict(key, results[key])
            target = f"{'≤' if op == '<=' else op} {limit:g}  {'ok' if met else 'MISSED'}"
        lines.append(f"{label:34} {median:>8} {spread:>17} {runs:>4}  {target}")
    return "\n".join(lines)


def merged(results: dict[str, Any], path: Path) -> dict[str, Any]:
    """The figures of this run over those already in ``path``: a run of one part
    (``--only``) replaces that part's figures and keeps the others'."""
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = {}
    if not isinstance(earlier, dict):
        earlier = {}
    data = {k: v for k, v in earlier.items() if k not in ("targets", "met")}
    for key, value in results.items():
        if key in ("details", "machines") and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def write(results: dict[str, Any], path: Path) -> None:
    data = merged(results, path)
    data["targets"] = {k: f"{op} {limit:g}" for k, (op, limit) in TARGETS.items()}
    data["met"] = {k: verdict(k, data[k]) for k in TARGETS if k in data}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
