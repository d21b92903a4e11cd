extension Verdict {
    /// A field's text cut into alternating runs of evidence and the rest, in order: what every human report
    /// (terminal, HTML) marks. Only hits with a positive score count as evidence: a negative hit (a genuine
    /// warning's wording) is a reason to trust the text, not a span to point the reader at.
    public func evidenceSegments(of field: Document.Field) -> [(text: String, evidence: Bool)] {
        let scalars = Array(field.text.unicodeScalars)
        var marked = [Bool](repeating: false, count: scalars.count)
        for hit in hits where hit.score > 0 {
            for e in hit.evidence where e.field == field.name {
                let lower = max(0, e.span.start), upper = min(scalars.count, e.span.end)
                if lower < upper { for i in lower..<upper { marked[i] = true } }
            }
        }
        var out: [(String, Bool)] = []
        var current = String.UnicodeScalarView()
        var inside = false
        for (i, scalar) in scalars.enumerated() {
            if marked[i] != inside {
                if !current.isEmpty { out.append((String(current), inside)) }
                current = String.UnicodeScalarView()
                inside = marked[i]
            }
            current.append(scalar)
        }
        if !current.isEmpty { out.append((String(current), inside)) }
        return out
    }
}
