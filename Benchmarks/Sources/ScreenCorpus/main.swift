import Foundation
import FraudScreenCore
import ScreeningFixtures

// screen-corpus RULES KIND ROUNDS
//   RULES: shipped | 10x     KIND: messages | transactions     ROUNDS: times through the whole corpus (0: load only)
//
// Everything before the first screening (loading rules, reading the corpus) is the same whatever ROUNDS is, so
// the difference between a run with ROUNDS = n and one with 0, divided by n × corpus size, is the cost of one
// screening. `instructions.sh` does exactly that under cachegrind. It also prints the screening loop's time per
// document, for comparing two builds run in turns on one core (a rough figure: the benchmark is the measure).
//
// screen-corpus RULES KIND dump
//   prints every verdict's JSON, one per line: two builds that should screen alike must print the same bytes.
let arguments = CommandLine.arguments
let dumps = arguments.count == 4 && arguments[3] == "dump"
guard arguments.count == 4, ["shipped", "10x"].contains(arguments[1]), ["messages", "transactions"].contains(arguments[2]),
      let rounds = dumps ? 0 : Int(arguments[3]), rounds >= 0 else {
    print("usage: screen-corpus shipped|10x messages|transactions ROUNDS|dump")
    exit(2)
}
let fixtures = Fixtures()
let ruleSet = arguments[1] == "shipped" ? fixtures.shippedRuleSet : fixtures.syntheticRuleSet
// Verdicts as the daemon makes them (entities only where a rule needs them).
let screener = Screener(ruleSet: ruleSet, reportsEntities: false)
var sink = 0
let isMessages = arguments[2] == "messages"
// Loaded before the clock starts.
let messages = isMessages ? fixtures.messages : [], transactions = isMessages ? [] : fixtures.transactions
if dumps {
    for message in messages { print(screener.screen(message).json) }
    for document in transactions { print(screener.screen(document).json) }
    exit(0)
}
let started = ContinuousClock.now
var documents = 0
if isMessages {
    for _ in 0..<rounds { for message in messages { sink &+= screener.screen(message).score } }
    documents = messages.count
} else {
    for _ in 0..<rounds { for document in transactions { sink &+= screener.screen(document).score } }
    documents = transactions.count
}
let elapsed = ContinuousClock.now - started
print("documents \(documents)")
if rounds > 0 {
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print("ns per document \(Int((nanoseconds / Double(rounds * documents)).rounded()))")
}
print("score sum \(sink)")
