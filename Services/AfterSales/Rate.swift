/// The rates of the after-sales figures — a campaign's success rate, the reports' return,
/// churn and success rates (AS4, AS8): fractions, 0.5 being 50 %.
enum Rate {
    /// `part / whole` rounded to four decimals; 0 when `whole` is 0.
    static func of(_ part: Int, _ whole: Int) -> Double {
        whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000
    }
}
