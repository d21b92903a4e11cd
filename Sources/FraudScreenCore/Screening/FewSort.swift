extension UnsafeMutableBufferPointer where Element == Int32 {
    /// Sorts a list that is nearly always a handful long (the rules fired for one text, the meta rules they
    /// mark) by insertion in place; longer lists go to the standard sort.
    ///
    /// The standard sort's generic machinery is several kilobytes of code that runs once per text: with texts
    /// rotating through a screener it is cold every time, and for five elements its instruction-cache misses
    /// cost more than the comparisons. `areInIncreasingOrder` must be a strict total order (the callers sort
    /// distinct rule indices by unique ranks), so stability does not arise.
    @inline(__always)
    func sortFew(by areInIncreasingOrder: (Int32, Int32) -> Bool) {
        guard count > 16 else {
            var i = 1
            while i < count {
                let element = self[i]
                var j = i
                while j > 0 && areInIncreasingOrder(element, self[j - 1]) { self[j] = self[j - 1]; j -= 1 }
                self[j] = element
                i += 1
            }
            return
        }
        var all = self
        all.sort(by: areInIncreasingOrder)
    }
}
