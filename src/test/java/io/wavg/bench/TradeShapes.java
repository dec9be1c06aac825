package io.wavg.bench;

import java.util.List;

/**
 * The query shapes of the GROUP BY issue over the trades table (view {@code trades}): keys of every
 * type and cardinality, arguments of every numeric type, FILTER, DISTINCT and windows. Each shape is
 * written once with {@code %s} standing for the table and {@code WAVG(value, weight)} for the
 * weighted average, which each engine spells its own way; every answer is reduced to one number, the
 * sum of the per-group (or per-row) averages, a checksum whose last digits depend on the order of
 * that sum.
 */
final class TradeShapes {
    /**
     * A shape's name, its query and, where the built-in expression cannot be spelt into the same query,
     * the anchor's own (else null).
     */
    record Shape(String name, String query, String builtinQuery) {
        Shape(String name, String query) {
            this(name, query, null);
        }

        /** The query with the weighted average spelt by an engine, over a table. */
        String sql(Spelling spelling, String table) {
            // where the built-in expression needs its own query, DuckDB's weighted_avg (a macro over sums,
            // which takes no OVER or DISTINCT) needs the same
            String text = spelling != Spelling.WEIGHTED_AVG && builtinQuery != null ? builtinQuery : query;
            String withTable = text.replace("TABLE", table);
            StringBuilder out = new StringBuilder();
            int at = 0;
            for (int open; (open = withTable.indexOf("WAVG(", at)) >= 0; ) {
                int close = matchingParenthesis(withTable, open + 4);
                String[] arguments = splitArguments(withTable.substring(open + 5, close));
                out.append(withTable, at, open).append(spelling.weightedAverage(arguments[0], arguments[1]));
                at = close + 1;
            }
            return out.append(withTable.substring(at)).toString();
        }
    }

    /** How an engine writes a weighted average of a value and a weight. */
    enum Spelling {
        /**
         * Spark's built-in expression, what users compare against; the product in DOUBLE, as a user
         * would write it once an INT product overflows (ANSI mode fails the query).
         */
        BUILTIN {
            @Override
            String weightedAverage(String value, String weight) {
                return "sum(CAST(" + value + " AS DOUBLE) * (" + weight + ")) / sum(" + weight + ")";
            }
        },
        /** Our function. */
        WEIGHTED_AVG {
            @Override
            String weightedAverage(String value, String weight) {
                return "weighted_avg(" + value + ", " + weight + ")";
            }
        },
        /** DuckDB's weighted_avg, given doubles: on INT arguments it multiplies in INT32 and overflows. */
        DUCKDB {
            @Override
            String weightedAverage(String value, String weight) {
                return "weighted_avg(CAST(" + value + " AS DOUBLE), CAST(" + weight + " AS DOUBLE))";
            }
        };

        abstract String weightedAverage(String value, String weight);
    }

    private static final String ONE_DAY = "day = DATE'2026-01-14'";

    static final List<Shape> ALL = List.of(
            new Shape("global VWAP", "SELECT WAVG(price, qty) FROM TABLE"),
            grouped("one day's VWAP per symbol", "symbol", "WAVG(price, qty)", " WHERE " + ONE_DAY),
            grouped("GROUP BY symbol (string, 3000 skewed)", "symbol", "WAVG(price, qty)", ""),
            grouped("GROUP BY day (date partition column, 20)", "day", "WAVG(price, qty)", ""),
            grouped("VWAP per (symbol, day) (60k groups)", "symbol, day", "WAVG(price, qty)", ""),
            grouped("GROUP BY qty (bigint, skewed)", "qty", "WAVG(price, qty)", ""),
            grouped("GROUP BY int expression (10)", "CAST(qty % 10 AS INT)", "WAVG(price, qty)", ""),
            grouped("GROUP BY decimal expression (~50k)", "CAST(price AS DECIMAL(10, 2))", "WAVG(price, qty)", ""),
            grouped("GROUP BY ts (timestamp, ~1.7M)", "ts", "WAVG(price, qty)", ""),
            grouped("bigint value, double weight", "symbol", "WAVG(qty, price)", ""),
            grouped("int arguments", "symbol", "WAVG(CAST(price * 100 AS INT), CAST(qty AS INT))", ""),
            grouped("decimal value", "symbol", "WAVG(CAST(price AS DECIMAL(12, 2)), qty)", ""),
            grouped("float value", "symbol", "WAVG(CAST(price AS FLOAT), qty)", ""),
            grouped("WHERE on a column, GROUP BY symbol", "symbol", "WAVG(price, qty)", " WHERE qty > 50"),
            // a FILTER clause binds to one aggregate: the built-in expression needs it on both sums
            new Shape("FILTER (WHERE qty > 50), GROUP BY symbol", "SELECT sum(a) FROM (SELECT symbol, "
                    + "WAVG(price, qty) FILTER (WHERE qty > 50) AS a FROM TABLE GROUP BY symbol)",
                    "SELECT sum(a) FROM (SELECT symbol, sum(price * qty) FILTER (WHERE qty > 50) "
                    + "/ sum(qty) FILTER (WHERE qty > 50) AS a FROM TABLE GROUP BY symbol)"),
            new Shape("VWAP, volume and trade count per symbol", "SELECT sum(a) + sum(volume) + sum(trades) FROM "
                    + "(SELECT symbol, WAVG(price, qty) AS a, sum(qty) AS volume, count(*) AS trades FROM TABLE "
                    + "GROUP BY symbol)"),
            new Shape("global, WHERE on a column", "SELECT WAVG(price, qty) FROM TABLE WHERE qty > 50"),
            window("moving VWAP, 100 rows, one day", "ROWS BETWEEN 99 PRECEDING AND CURRENT ROW"),
            window("running VWAP, one day", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            // the built-in expression has no DISTINCT over pairs: the anchor averages the distinct rows
            new Shape("DISTINCT pairs per symbol, one day", "SELECT sum(a) FROM (SELECT symbol, weighted_avg(DISTINCT "
                    + "price, qty) AS a FROM TABLE WHERE " + ONE_DAY + " GROUP BY symbol)",
                    "SELECT sum(a) FROM (SELECT symbol, sum(price * qty) / sum(qty) AS a FROM (SELECT DISTINCT "
                    + "symbol, price, qty FROM TABLE WHERE " + ONE_DAY + ") GROUP BY symbol)"));

    private TradeShapes() {}

    private static Shape grouped(String name, String keys, String average, String where) {
        return new Shape(name, "SELECT sum(a) FROM (SELECT " + keys + ", " + average + " AS a FROM TABLE" + where
                + " GROUP BY " + keys + ")");
    }

    /** A window over one day per symbol in time order; the built-in expression needs its window twice. */
    private static Shape window(String name, String frame) {
        String window = " OVER (PARTITION BY symbol ORDER BY ts " + frame + ")";
        String query = "SELECT sum(a) FROM (SELECT %s AS a FROM TABLE WHERE " + ONE_DAY + ")";
        return new Shape(name, String.format(query, "WAVG(price, qty)" + window),
                String.format(query, "sum(price * qty)" + window + " / sum(qty)" + window));
    }

    private static int matchingParenthesis(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            if (text.charAt(i) == '(') {
                depth++;
            } else if (text.charAt(i) == ')' && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unbalanced parentheses in " + text);
    }

    /** "a, CAST(b AS DECIMAL(12, 2))" as its two top-level arguments. */
    private static String[] splitArguments(String arguments) {
        int depth = 0;
        for (int i = 0; i < arguments.length(); i++) {
            char ch = arguments.charAt(i);
            depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
            if (ch == ',' && depth == 0) {
                return new String[] {arguments.substring(0, i).strip(), arguments.substring(i + 1).strip()};
            }
        }
        throw new IllegalArgumentException("two arguments expected: " + arguments);
    }
}
