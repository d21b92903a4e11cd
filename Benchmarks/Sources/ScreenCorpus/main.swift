import Foundation
import FraudScreenCore
import ScreeningFixtures

// screen-corpus RULES KIND ROUNDS
//   RULES: shipped | 10x     KIND: messages | transactions     ROUNDS: times through the whole corpus (0: load only)
//
// Everything before the first screening (loading rules, reading the corpus) is the same whatever ROUNDS is, so
// the difference between a run with ROUNDS = n and one with 0, divided by n × corpus size, is the cost of one
// screening. `instructions.sh` does exactly that under cachegrind.
let arguments = CommandLine.arguments
guard arguments.count == 4, ["shipped", "10x"].contains(arguments[1]), ["messages", "transactions"].contains(arguments[2]),
      let rounds = Int(arguments[3]), rounds >= 0 else {
    print("usage: screen-corpus shipped|10x messages|transactions ROUNDS")
    exit(2)
}
let fixtures = Fixtures()
let ruleSet = arguments[1] == "shipped" ? fixtures.shippedRuleSet : fixtures.syntheticRuleSet
// Verdicts as the daemon makes them (entities only where a rule needs them).
let screener = Screener(ruleSet: ruleSet, reportsEntities: false)
var sink = 0
if arguments[2] == "messages" {
    let messages = fixtures.messages
    for _ in 0..<rounds { for message in messages { sink &+= screener.screen(message).score } }
    print("documents \(messages.count)")
} else {
    let documents = fixtures.transactions
    for _ in 0..<rounds { for document in documents { sink &+= screener.screen(document).score } }
    print("documents \(documents.count)")
}
print("score sum \(sink)")
