import Foundation

/// A queue filled from any thread and drained in batches by one async reader.
///
/// Taking everything that has arrived at once, up to a limit, lets the reader do its database
/// work for many messages in one transaction.
public final class AsyncBatchQueue<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    private var head = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var finished = false

    public init() {}

    /// Adds an element; ignored once the queue is finished.
    public func push(_ element: Element) {
        lock.lock()
        guard !finished else { lock.unlock(); return }
        items.append(element)
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume()
    }

    /// Adds elements with a single wake-up of the reader.
    public func push(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        lock.lock()
        guard !finished else { lock.unlock(); return }
        items.append(contentsOf: elements)
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume()
    }

    /// Ends the queue: the reader's next `nextBatch` returns `nil`, even if elements are left.
    public func finish() {
        lock.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume()
    }

    /// Waits until at least one element is there and returns up to `limit` of them, oldest
    /// first; `nil` once the queue is finished. Only one task may call this at a time.
    public func nextBatch(limit: Int) async -> [Element]? {
        while true {
            switch take(limit: limit) {
            case .finished: return nil
            case .batch(let batch): return batch
            case .empty:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    waitUnlessReady(continuation)
                }
            }
        }
    }

    private enum Take {
        case batch([Element])
        case empty
        case finished
    }

    private func take(limit: Int) -> Take {
        lock.lock()
        defer { lock.unlock() }
        if finished { return .finished }
        let available = items.count - head
        guard available > 0 else { return .empty }
        let count = min(limit, available)
        let batch = Array(items[head..<head + count])
        head += count
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 {
            items.removeFirst(head)
            head = 0
        }
        return .batch(batch)
    }

    /// Parks the reader, unless something arrived (or the queue finished) since it looked.
    private func waitUnlessReady(_ continuation: CheckedContinuation<Void, Never>) {
        lock.lock()
        if finished || items.count > head {
            lock.unlock()
            continuation.resume()
            return
        }
        waiter = continuation
        lock.unlock()
    }
}
