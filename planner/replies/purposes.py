"""Purposes and desired outcomes for a call or meeting made for a request, written as natural sentences."""

from __future__ import annotations

import re

from planner.replies.formatting import is_japanese

# Endings a client adds to a topic ("…について相談したい", "…の件"): the purpose says it in its own words.
_JA_ENDINGS = re.compile(
    r"(について|に関して|に関する|の件|の件で|件|を|の)?"
    r"(のご相談|ご相談|相談したい|相談|(?:一度)?お会いしたい|(?:直接)?(?:お)?話し(?:合い)?たい|聞きたい|伺いたい|決めたい|確認したい|ご確認|確認|お願いしたい|お願い|したい|したいです|"
    r"を教えてください|教えてください|について|に関して|の件|件)?[。、\s]*$"
)
_EN_LEADS = re.compile(
    r"^(re:|question about|questions about|about|regarding|a question on)\s+", re.IGNORECASE
)


def topic_core(topic: str, language: str) -> str:
    """The topic without quotes and the endings that make it a request (…の仕様について → …の仕様)."""
    text = " ".join(topic.split()).strip('「」『』"“”')
    if is_japanese(language):
        for _ in range(3):
            shorter = _JA_ENDINGS.sub("", text)
            if shorter == text or not shorter:
                break
            text = shorter
        return text.replace("「", "").replace("」", "")
    return _EN_LEADS.sub("", text).rstrip(" ?.!")


def proposed_purpose(
    topic: str, reasons: tuple[str, ...], language: str, cause: str | None = None
) -> tuple[str, str]:
    """Purpose and desired outcome of a meeting made for the request."""
    core = topic_core(topic, language)
    reasons_set = set(reasons)
    if is_japanese(language):
        if "problem_or_complaint" in reasons_set:
            if cause == "ours":
                return (
                    f"{core}について、経緯と原因、復旧の方針をご説明する",
                    "復旧の方針と次のご報告の時期を合意する",
                )
            return (
                f"{core}について状況を詳しく伺い、次の対応を決める",
                "対応の分担と次のご報告の時期を合意する",
            )
        if "new_work_request" in reasons_set:
            return f"{core}のご要望を伺い、範囲と進め方を整理する", "範囲・優先度と見積の前提を合意する"
        if "decision_needed" in reasons_set:
            return f"{core}について結論を出す", "決定事項と担当・期限を確認する"
        if "review_materials" in reasons_set:
            return f"{core}の資料を一緒に確認する", "指摘事項と対応方針を合意する"
        return f"{core}について話し合い、進め方を決める", "次の対応と担当を合意する"
    quoted = f"“{core}”"
    if "problem_or_complaint" in reasons_set:
        if cause == "ours":
            return (
                f"Explain what went wrong with {quoted}, why, and the recovery plan",
                "The recovery plan and the time of the next report agreed",
            )
        return (
            f"Hear what happened with {quoted} and agree the next step",
            "The next step, who takes it and the time of the next report agreed",
        )
    if "new_work_request" in reasons_set:
        return (
            f"Hear the requirement for {quoted} and outline its scope",
            "The scope, priorities and the assumptions of the estimate agreed",
        )
    if "decision_needed" in reasons_set:
        return f"Decide on {quoted}", "A decision, with an owner and a date"
    if "review_materials" in reasons_set:
        return f"Review the materials on {quoted} together", "The comments and how each is handled agreed"
    return f"Talk through {quoted} and agree how to proceed", "The next steps and their owners agreed"


def call_purpose(
    topic: str, reasons: tuple[str, ...], language: str, cause: str | None = None
) -> tuple[str, str, str]:
    """Title, purpose and desired outcome of a call made for the request."""
    core = topic_core(topic, language)
    purpose, outcome = proposed_purpose(topic, reasons, language, cause)
    if is_japanese(language):
        if not set(reasons) & {
            "problem_or_complaint",
            "new_work_request",
            "decision_needed",
            "review_materials",
        }:
            purpose, outcome = f"{core}についてお電話で確認する", "ご質問への回答と次の対応を合意する"
        return f"電話：{core}", purpose, outcome
    if not set(reasons) & {"problem_or_complaint", "new_work_request", "decision_needed", "review_materials"}:
        purpose, outcome = f"Settle “{core}” by phone", "The questions answered and the next steps agreed"
    return f"Call: {core}", purpose, outcome
