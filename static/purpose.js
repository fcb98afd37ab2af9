// Live hint for a vague meeting purpose while typing. It mirrors planner/purpose.py's word lists;
// the server's flag stays the truth, this only saves a round trip.
(() => {
  const VAGUE_WORDS = new Set([
    "mtg", "meeting", "meetings", "sync", "synch", "catch", "up", "catchup", "catch-up", "check", "in",
    "checkin", "check-in", "touch", "base", "chat", "call", "discussion", "discuss", "talk", "update",
    "updates", "status", "weekly", "daily", "monthly", "regular", "routine", "general", "misc", "tbd",
    "todo", "n/a", "na", "various", "topics", "stuff", "things", "follow", "followup", "follow-up", "the",
    "a", "an", "and", "with", "about", "team", "client", "quick",
  ]);
  const VAGUE_JA = [
    "打ち合わせ", "打合せ", "打合わせ", "うちあわせ", "ミーティング", "会議", "定例", "定期", "週次", "月次",
    "進捗確認", "進捗", "確認", "相談", "雑談", "共有", "報告", "意見交換", "情報交換", "面談", "mtg", "その他",
    "各種", "について", "の件", "件", "会", "等", "など",
  ].sort((a, b) => b.length - a.length);
  const SPLIT = /[\s/,.;:!?()[\]「」『』、。・（）【】-]+/;

  function isVague(purpose) {
    let text = (purpose || "").normalize("NFKC").trim().toLowerCase();
    if (!text) return true;
    for (const word of VAGUE_JA) text = text.split(word).join(" ");
    const words = text.split(SPLIT).filter(Boolean);
    return words.every((w) => VAGUE_WORDS.has(w) || /^\d+$/.test(w));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-purpose-input]").forEach((input) => {
      const hint = document.getElementById(input.dataset.purposeInput);
      if (!hint) return;
      // An empty field is "required", not "vague": that message comes from the form itself.
      const update = () => { hint.hidden = !input.value.trim() || !isVague(input.value); };
      input.addEventListener("input", update);
      input.addEventListener("blur", update);
    });
  });
})();
