/*
 * pgjdbc driver of the client compatibility suite (tests/tests/clients.rs).
 *
 * Run as `java -cp postgresql.jar:DIR JdbcClient HOST PORT USER DBNAME`; prints one JSON
 * object per line, one per step (format in tests/clients/python/common.py):
 * DatabaseMetaData getSchemas/getTables/getColumns/getPrimaryKeys, a PreparedStatement
 * executed 10 times (pgjdbc switches to a named server-side statement and binary results
 * after prepareThreshold = 5), setFetchSize(100) over 10,000 rows with autocommit off
 * (portals with row limits), setBigDecimal, setDate, setTimestamp, and errors.
 * Values are ResultSet.getString; types are getColumnTypeName (PostgreSQL type names).
 * No JSON library: a small writer below.
 */

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

public final class JdbcClient {

    /** One step's output fields. */
    static final class Out {
        List<String> columns;
        List<String> types;
        List<List<String>> rows;
        String tag;
    }

    interface Body {
        Out run() throws Exception;
    }

    static void step(String name, String sql, Body body) {
        StringBuilder sb = new StringBuilder("{\"step\":").append(str(name));
        sb.append(",\"sql\":").append(str(sql));
        try {
            Out o = body.run();
            sb.append(",\"error\":null");
            if (o.columns != null) sb.append(",\"columns\":").append(list(o.columns));
            if (o.types != null) sb.append(",\"types\":").append(list(o.types));
            if (o.rows != null) {
                sb.append(",\"rows\":[");
                for (int i = 0; i < o.rows.size(); i++) {
                    if (i > 0) sb.append(',');
                    sb.append(list(o.rows.get(i)));
                }
                sb.append(']');
            }
            if (o.tag != null) sb.append(",\"tag\":").append(str(o.tag));
        } catch (Throwable e) {
            String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : null;
            sb.append(",\"error\":{\"sqlstate\":").append(str(state));
            sb.append(",\"message\":").append(str(e.getClass().getSimpleName() + ": " + e.getMessage()));
            sb.append('}');
        }
        sb.append('}');
        System.out.println(sb);
        System.out.flush();
    }

    static String str(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    static String list(List<String> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(str(xs.get(i)));
        }
        return sb.append(']').toString();
    }

    /** Every column and row of a result set, values through getString. */
    static Out read(ResultSet rs) throws SQLException {
        Out o = new Out();
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        o.columns = new ArrayList<>();
        o.types = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            o.columns.add(md.getColumnLabel(i));
            o.types.add(md.getColumnTypeName(i) + "/" + md.getColumnType(i));
        }
        o.rows = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) row.add(rs.getString(i));
            o.rows.add(row);
        }
        rs.close();
        return o;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: JdbcClient HOST PORT USER DBNAME");
            System.exit(2);
        }
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/" + args[3]
            + "?user=" + args[2] + "&connectTimeout=10&socketTimeout=40&ApplicationName=isotherm-suite";
        Connection conn = DriverManager.getConnection(url);
        DatabaseMetaData md = conn.getMetaData();

        step("metadata_product", null, () -> {
            Out o = new Out();
            o.columns = List.of("property", "value");
            o.rows = List.of(
                List.of("product", md.getDatabaseProductName()),
                List.of("major", String.valueOf(md.getDatabaseMajorVersion())),
                List.of("user", md.getUserName()),
                List.of("catalog", String.valueOf(conn.getCatalog())),
                List.of("schema", String.valueOf(conn.getSchema())));
            return o;
        });
        step("getSchemas", null, () -> read(md.getSchemas()));
        step("getTables", null,
            () -> read(md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"})));
        step("getColumns", null, () -> read(md.getColumns(null, "public", "temperatures", "%")));
        step("getPrimaryKeys", null, () -> read(md.getPrimaryKeys(null, "public", "temperatures")));

        String agg = "SELECT region, count(*) AS n, sum(temperature) AS total, max(measured_at) AS last_at "
            + "FROM temperatures WHERE date >= ? AND region <> ? GROUP BY region ORDER BY region";
        try (PreparedStatement ps = conn.prepareStatement(agg)) {
            for (int i = 1; i <= 10; i++) {
                step("prepared_run_" + i, agg, () -> {
                    ps.setDate(1, Date.valueOf("2024-01-01"));
                    ps.setString(2, "asia");
                    return read(ps.executeQuery());
                });
            }
        }

        String big = "SELECT date, region, station, measured_at, temperature, humidity FROM temperatures "
            + "ORDER BY date, region, station, measured_at LIMIT 10000";
        step("fetch_size_100_autocommit_off", big, () -> {
            conn.setAutoCommit(false);
            try (PreparedStatement ps = conn.prepareStatement(big)) {
                ps.setFetchSize(100);
                Out o = read(ps.executeQuery());
                conn.commit();
                return o;
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
        });

        String dec = "SELECT count(*), min(temperature), max(temperature) FROM temperatures WHERE temperature > ?";
        step("setBigDecimal", dec, () -> {
            try (PreparedStatement ps = conn.prepareStatement(dec)) {
                ps.setBigDecimal(1, new BigDecimal("12.5"));
                return read(ps.executeQuery());
            }
        });
        String date = "SELECT region, count(*), avg(temperature) FROM temperatures WHERE date = ? "
            + "GROUP BY region ORDER BY region";
        step("setDate", date, () -> {
            try (PreparedStatement ps = conn.prepareStatement(date)) {
                ps.setDate(1, Date.valueOf("2024-02-29"));
                return read(ps.executeQuery());
            }
        });
        String ts = "SELECT count(*), count(humidity) FROM temperatures WHERE measured_at < ?";
        step("setTimestamp", ts, () -> {
            try (PreparedStatement ps = conn.prepareStatement(ts)) {
                ps.setTimestamp(1, Timestamp.valueOf("2024-03-31 12:00:00"));
                return read(ps.executeQuery());
            }
        });
        String monthly = "SELECT date_trunc('month', date) AS month, region, count(*) FROM temperatures "
            + "WHERE region = ? GROUP BY 1, 2 ORDER BY 1, 2";
        step("date_trunc_param", monthly, () -> {
            try (PreparedStatement ps = conn.prepareStatement(monthly)) {
                ps.setString(1, "europe");
                return read(ps.executeQuery());
            }
        });

        for (String[] e : new String[][] {
            {"error_undefined_column", "SELECT nosuch FROM temperatures"},
            {"error_undefined_table", "SELECT * FROM nosuch"},
        }) {
            step(e[0], e[1], () -> {
                try (Statement st = conn.createStatement()) {
                    return read(st.executeQuery(e[1]));
                }
            });
        }
        step("usable_after_errors", null, () -> {
            try (Statement st = conn.createStatement()) {
                return read(st.executeQuery("SELECT count(*) FROM temperatures"));
            }
        });
        conn.close();
    }
}
