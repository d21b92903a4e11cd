import FraudScreenCore
let c = ContinuousClock()
let t0 = c.now
let table = FoldTable.base
print("table", c.now - t0)
for s in ["V信", "薇❤信", "加 微 信", "刷　单", "詐騙帳戶", "１３８", "a\u{200B}b", "①②③", "㈱", "ＡＢＣ", "𝐀𝐁", "👍好"] {
  let n = NormalizedText(); n.reset(s, table: table)
  print(s, "->", n.foldedString, "|", n.compactString)
}
print(CompiledRegex.requiredLiteral(of: "(安全|监管)账户.{0,20}转入") as Any, CompiledRegex.requiredLiteral(of: "a|b") as Any)
