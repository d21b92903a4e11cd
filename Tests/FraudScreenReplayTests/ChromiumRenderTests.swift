import Foundation
import FraudScreenTestSupport
import Testing
@testable import FraudScreenReplay

/// Renders the HTML report in a real headless Chromium (Debian `chromium`) and checks the charts are in the
/// DOM it built, that the inline script ran, and that the charts were laid out with a width.
@Suite("HTML report in headless Chromium")
struct ChromiumRenderTests {
    /// `$CHROMIUM`, or the first of chromium / chromium-browser / google-chrome on PATH.
    static let chromium: String? = {
        if let explicit = ProcessInfo.processInfo.environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: explicit) {
            return explicit
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    /// Runs Chromium headless on `file` with `arguments`; its standard output, or nil after 90 s.
    static func runChromium(_ arguments: [String], file: URL, fragment: String = "") throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-profile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile.path)"] + arguments + [file.absoluteString + fragment]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        onOwnThread { box.data = output.fileHandleForReading.readDataToEndOfFile(); done.signal() }
        if done.wait(timeout: .now() + 90) == .timedOut {
            process.terminate()
            Issue.record("chromium did not finish within 90 s")
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: box.data, as: UTF8.self))
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed (apt-get install -y chromium fonts-wqy-zenhei); skipping the rendering test"))
    func chartsRenderInChromium() throws {
        let fixture = try Fixture(); defer { fixture.remove() }
        let report = try fixture.run(baseline: true).1.report
        let page = fixture.directory.appendingPathComponent("replay.html")
        try ReplayHTML(report: report).render().write(to: page, atomically: true, encoding: .utf8)

        let (status, dom) = try Self.runChromium(["--dump-dom", "--virtual-time-budget=2000"], file: page)
        #expect(status == 0)
        #expect(dom.contains("FraudScreen replay"))
        // The charts, as Chromium parsed them.
        for id in ["category-recall-chart", "score-histogram", "pr-curve"] {
            #expect(dom.range(of: "<svg id=\"\(id)\" class=\"chart\"") != nil, "chart #\(id) missing from the DOM")
        }
        #expect(dom.components(separatedBy: "class=\"category-bar\"").count - 1 == 2)
        #expect(dom.components(separatedBy: "class=\"recall-bar ").count - 1 == 2)
        #expect(dom.contains("class=\"bar fraud\"") && dom.contains("class=\"bar benign\""))
        #expect(dom.contains("class=\"threshold-line threshold-warn\" data-threshold=\"40\""))
        #expect(dom.contains("class=\"threshold-line threshold-block\" data-threshold=\"80\""))
        for curve in ["pr-precision", "pr-recall", "pr-fpr"] { #expect(dom.contains("class=\"curve \(curve)\""), "curve \(curve) missing") }
        // The inline script ran (it marks the sortable tables) and the charts were laid out with a width.
        #expect(dom.contains("id=\"rule-table\" class=\"sortable numbers\" data-sortable=\"ready\""))
        #expect(dom.contains("id=\"rule-delta-table\" class=\"sortable numbers\" data-sortable=\"ready\""))
        for id in ["category-recall-chart", "score-histogram", "pr-curve"] {
            let width = Self.renderedWidth(of: id, in: dom)
            #expect((width ?? 0) > 200, "chart #\(id) laid out \(width.map(String.init) ?? "without a width")")
        }
        // The diff and the escaped evidence survive parsing.
        #expect(dom.contains("<section id=\"diff\">"))
        #expect(dom.contains("<mark>垫付</mark>一下&lt;午饭&gt;钱"))

        // The rule table sorts in the browser: by benign hits (column 6), descending. Rank order is core (0),
        // safe_account (0), advance (1), genuine_warning (1); a stable descending sort puts advance first.
        let (_, sorted) = try Self.runChromium(["--dump-dom", "--virtual-time-budget=2000"], file: page, fragment: "#sort=rule-table:6:desc")
        #expect(sorted.contains("aria-sort=\"descending\">benign hits</th>"))
        #expect(Self.ruleOrder(in: sorted) == ["brushing.advance", "common.genuine_warning", "brushing.core", "authority.safe_account"])
        #expect(Self.ruleOrder(in: dom) == ["brushing.core", "authority.safe_account", "brushing.advance", "common.genuine_warning"])

        // A screenshot renders too (a non-empty PNG).
        let png = fixture.directory.appendingPathComponent("replay.png")
        _ = try Self.runChromium(["--screenshot=\(png.path)", "--window-size=1280,2400", "--hide-scrollbars"], file: page)
        let bytes = try Data(contentsOf: png)
        #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    /// Rule ids in the order the rule table's rows are in the DOM.
    static func ruleOrder(in dom: String) -> [String] {
        guard let table = dom.range(of: "id=\"rule-table\""), let end = dom.range(of: "</table>", range: table.upperBound..<dom.endIndex) else { return [] }
        return dom[table.upperBound..<end.lowerBound].components(separatedBy: "<td class=\"rule\"><span class=\"id\">").dropFirst().map {
            String($0.prefix { $0 != "<" })
        }
    }

    static func renderedWidth(of id: String, in dom: String) -> Int? {
        guard let start = dom.range(of: "<svg id=\"\(id)\"") else { return nil }
        let tag = dom[start.lowerBound...].prefix { $0 != ">" }
        guard let attribute = tag.range(of: "data-rendered-width=\"") else { return nil }
        return Int(tag[attribute.upperBound...].prefix { $0.isNumber })
    }
}
