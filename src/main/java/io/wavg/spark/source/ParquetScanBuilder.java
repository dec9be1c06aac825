package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.connector.expressions.aggregate.Aggregation;
import org.apache.spark.sql.connector.expressions.aggregate.CountStar;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownAggregates;
import org.apache.spark.sql.connector.read.SupportsPushDownFilters;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.sources.Filter;
import org.apache.spark.sql.types.StructType;

/**
 * Column pruning and filter pushdown. Pushed filters only skip row groups whose statistics rule them
 * out; Spark still applies every filter to the rows read, so all of them are handed back.
 */
public final class ParquetScanBuilder
        implements ScanBuilder, SupportsPushDownRequiredColumns, SupportsPushDownFilters, SupportsPushDownAggregates {
    private final ParquetFiles files;
    private StructType required;
    private Filter[] pushed = new Filter[0];
    private boolean countFromFooters;

    ParquetScanBuilder(ParquetFiles files) {
        this.files = files;
        this.required = files.schema();
    }

    @Override
    public void pruneColumns(StructType requiredSchema) {
        required = requiredSchema;
    }

    @Override
    public Filter[] pushFilters(Filter[] filters) {
        List<Filter> usable = new ArrayList<>();
        for (Filter filter : filters) {
            if (RowGroupFilter.canUse(filter, files.schema())) {
                usable.add(filter);
            }
        }
        pushed = usable.toArray(new Filter[0]);
        return filters;
    }

    @Override
    public Filter[] pushedFilters() {
        return pushed.clone();
    }

    /** COUNT(*) without filters or grouping is in the footers; Spark only asks when no filter is left. */
    @Override
    public boolean pushAggregation(Aggregation aggregation) {
        countFromFooters = supportCompletePushDown(aggregation);
        return countFromFooters;
    }

    @Override
    public boolean supportCompletePushDown(Aggregation aggregation) {
        return pushed.length == 0 && aggregation.groupByExpressions().length == 0
                && aggregation.aggregateExpressions().length == 1
                && aggregation.aggregateExpressions()[0] instanceof CountStar;
    }

    @Override
    public Scan build() {
        return countFromFooters ? new FooterCountScan(files) : new ParquetScan(files, required, pushed);
    }
}
