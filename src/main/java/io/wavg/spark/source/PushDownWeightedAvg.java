package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression$;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.types.DataTypeUtils;
import org.apache.spark.sql.execution.datasources.DataSourceStrategy$;
import org.apache.spark.sql.execution.datasources.FileStatusWithMetadata;
import org.apache.spark.sql.execution.datasources.PartitionDirectory;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2ScanRelation;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.wavg.spark.MergeWeightedAvg;
import io.wavg.spark.Plans;
import io.wavg.spark.WeightedAvg;
import io.wavg.spark.source.parquet.UnsupportedParquetException;

import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pushes weighted_avg into the scan of a Parquet relation: Spark's own (V1 or V2, from
 * {@code spark.read.parquet}, {@code parquet.`path`} or a catalog table, listed by Spark's file index)
 * or a wavg_parquet one. For {@code Aggregate(keys, aggregates, [Project] [Filter] [Project] relation)}
 * where the keys are columns and every aggregate is a plain weighted_avg or weighted_avg_stats over
 * numeric columns, the scan itself computes one partial state per split and group, and the aggregate
 * only merges those states. Any other shape is left alone, so Spark's ordinary path answers it with
 * the same bits, and the reason is logged at INFO.
 */
public final class PushDownWeightedAvg extends Rule<LogicalPlan> {
    /** Set to false to read rows and aggregate them in Spark instead. */
    public static final String ENABLED_KEY = "spark.wavg.pushdown.enabled";

    private static final Logger LOG = LoggerFactory.getLogger(PushDownWeightedAvg.class);

    private final org.apache.spark.sql.SparkSession session;

    public PushDownWeightedAvg(org.apache.spark.sql.SparkSession session) {
        this.session = session;
    }

    /** Why an aggregate over a Parquet relation stays on Spark's path. */
    private static final class Declined extends Exception {
        private static final long serialVersionUID = 1L;

        Declined(String reason) {
            super(reason, null, false, false);
        }
    }

    @Override
    public LogicalPlan apply(LogicalPlan plan) {
        if (!Boolean.parseBoolean(session.conf().get(ENABLED_KEY, "true"))) {
            return plan;
        }
        return Plans.replaceTopDown(plan, node -> node instanceof Aggregate aggregate ? pushDown(aggregate) : null);
    }

    private LogicalPlan pushDown(Aggregate aggregate) {
        LogicalPlan child = skipColumnProjection(aggregate.child());
        Expression condition = null;
        if (child instanceof Filter filter) {
            condition = filter.condition();
            child = skipColumnProjection(filter.child());
        }
        // this runs before Spark builds V2 scans and prunes file partitions, so the pushed scan is built here
        SparkParquetRelation spark = SparkParquetRelation.of(child);
        boolean ours = child instanceof DataSourceV2Relation v2 && v2.table() instanceof ParquetTable;
        if (spark == null && !ours) {
            return null;
        }
        try {
            return pushDown(aggregate, condition, (DataSourceV2Relation) (ours ? child : null), spark);
        } catch (Declined declined) {
            if (callsWeightedAvg(aggregate)) {
                LOG.info("weighted_avg is not computed inside the Parquet scan of {}: {}",
                        ours ? ((DataSourceV2Relation) child).table().name() : spark.location(), declined.getMessage());
            }
            return null;
        }
    }

    /**
     * @param ours  a wavg_parquet relation, or null
     * @param spark Spark's Parquet relation, when {@code ours} is null
     */
    private LogicalPlan pushDown(Aggregate aggregate, Expression condition, DataSourceV2Relation ours,
                                 SparkParquetRelation spark) throws Declined {
        if (condition != null && (!condition.deterministic() || SubqueryExpression$.MODULE$.hasSubquery(condition))) {
            throw new Declined("the WHERE condition is not deterministic or has a subquery");
        }
        List<Attribute> columns = new ArrayList<>(ours != null ? CollectionConverters.asJava(ours.output())
                : spark.output());
        List<Integer> groups = new ArrayList<>();
        for (Expression key : CollectionConverters.asJava(aggregate.groupingExpressions())) {
            int at = indexOf(key, columns);
            if (at < 0) {
                throw new Declined("GROUP BY " + key.sql() + " is not a column of the table");
            }
            groups.add(at);
        }
        Map<WeightedAvg, Integer> calls = new LinkedHashMap<>();
        for (NamedExpression output : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            collectCalls((Expression) output, columns, calls);
        }
        if (calls.isEmpty()) {
            throw new Declined("no weighted_avg call");
        }
        Set<ExprId> arguments = new HashSet<>();
        for (WeightedAvg call : calls.keySet()) {
            arguments.add(((Attribute) call.value()).exprId());
            arguments.add(((Attribute) call.weight()).exprId());
        }
        List<Attribute> needed = readColumns(columns, aggregate, condition);
        for (Attribute column : needed) {
            if (spark != null && !spark.isPartitionColumn(column.name())
                    && !Arrays.asList(spark.dataSchema().fieldNames()).contains(column.name())) {
                throw new Declined(column.name() + " is not a column of the files (a metadata column)");
            }
        }
        List<Expression> partitionFilters = new ArrayList<>();
        List<Expression> rowFilters = new ArrayList<>();
        for (Expression conjunct : condition == null ? List.<Expression>of() : conjuncts(condition)) {
            boolean onPartitions = spark != null && !conjunct.references().isEmpty()
                    && CollectionConverters.asJava(conjunct.references().toSeq()).stream()
                    .allMatch(a -> spark.isPartitionColumn(a.name()));
            (onPartitions ? partitionFilters : rowFilters).add(conjunct);
        }
        // data columns first, then partition columns, whose values a split's batches hold as constants
        List<Attribute> read = new ArrayList<>();
        List<Attribute> partitionColumns = new ArrayList<>();
        for (Attribute column : needed) {
            boolean partition = spark != null && spark.isPartitionColumn(column.name());
            if (partition && arguments.contains(column.exprId())) {
                throw new Declined("weighted_avg's argument " + column.name() + " is a partition column");
            }
            if (partition && CollectionConverters.asJava(aggregate.references().toSeq()).stream()
                    .noneMatch(a -> a.exprId().equals(column.exprId()))
                    && rowFilters.stream().noneMatch(f -> f.references().contains(column))) {
                continue; // only filtered on, which Spark's partition pruning does before any file is opened
            }
            (partition ? partitionColumns : read).add(column);
        }
        int dataColumns = read.size();
        read.addAll(partitionColumns);
        Expression rowFilter = rowFilters.stream().reduce(And::new).orElse(null);

        List<PushedAggregation.Function> functions = new ArrayList<>();
        List<AttributeReference> states = new ArrayList<>();
        for (WeightedAvg call : calls.keySet()) {
            functions.add(new PushedAggregation.Function(indexOf(call.value(), read), indexOf(call.weight(), read),
                    call.output(), call.kernelChoice()));
            states.add(new AttributeReference(PushedAggregation.stateColumn(states.size()), DataTypes.BinaryType,
                    false, Metadata.empty(), NamedExpression$.MODULE$.newExprId(),
                    CollectionConverters.asScala(List.<String>of()).toSeq()));
        }
        int[] keys = groups.stream().mapToInt(g -> indexOf(columns.get(g), read)).toArray();
        PushedAggregation aggregation = new PushedAggregation(read, keys, functions, rowFilter);
        StructType dataRead = DataTypeUtils.fromAttributes(CollectionConverters.asScala(read.subList(0, dataColumns))
                .toSeq());
        List<org.apache.spark.sql.sources.Filter> sourceFilters = rowFilter == null ? List.of() : sourceFilters(rowFilter);
        DataSourceV2Relation relation;
        PushedAggregateScan scan;
        if (ours != null) {
            ParquetTable table = (ParquetTable) ours.table();
            ParquetScanBuilder rows = (ParquetScanBuilder) table.newScanBuilder(ours.options());
            rows.pruneColumns(dataRead);
            rows.pushFilters(sourceFilters.toArray(new org.apache.spark.sql.sources.Filter[0]));
            relation = ours;
            scan = new PushedAggregateScan((ParquetScan) rows.build(), table.files(), aggregation);
        } else {
            ParquetFiles files = listFiles(spark, partitionFilters, rowFilters, dataRead, partitionColumns);
            Set<String> argumentsOnly = new HashSet<>();
            for (Attribute column : read.subList(0, dataColumns)) {
                boolean key = Arrays.stream(keys).anyMatch(k -> read.get(k).exprId().equals(column.exprId()));
                boolean filtered = rowFilter != null && rowFilter.references().contains(column);
                if (arguments.contains(column.exprId()) && !key && !filtered) {
                    argumentsOnly.add(column.name());
                }
            }
            checkTypes(files, dataRead, argumentsOnly);
            org.apache.spark.sql.sources.Filter[] skipping = sourceFilters.stream()
                    .filter(f -> RowGroupFilter.canUse(f, dataRead)).toArray(org.apache.spark.sql.sources.Filter[]::new);
            relation = spark.v2Relation(files);
            scan = new PushedAggregateScan(new ParquetScan(files, dataRead, skipping), files, aggregation);
        }
        List<AttributeReference> output = new ArrayList<>();
        for (int g : aggregation.groups()) {
            output.add((AttributeReference) read.get(g));
        }
        output.addAll(states);
        DataSourceV2ScanRelation pushedRelation = new DataSourceV2ScanRelation(relation, scan,
                CollectionConverters.asScala(output).toSeq(), Option.empty(), Option.empty(),
                CollectionConverters.asScala(List.<Expression>of()).toSeq());
        List<NamedExpression> merged = new ArrayList<>();
        for (NamedExpression expression : CollectionConverters.asJava(aggregate.aggregateExpressions())) {
            merged.add((NamedExpression) mergeCalls((Expression) expression, calls, states));
        }
        return new Aggregate(aggregate.groupingExpressions(), CollectionConverters.asScala(merged).toSeq(),
                pushedRelation, aggregate.hint());
    }

    /**
     * The files Spark's own index lists for the relation after partition pruning, with their footers.
     * Each file's values of the partition columns read are kept for its splits.
     */
    private ParquetFiles listFiles(SparkParquetRelation spark, List<Expression> partitionFilters,
                                   List<Expression> dataFilters, StructType dataRead,
                                   List<Attribute> partitionColumns) throws Declined {
        SQLConf conf = SQLConf.get();
        if (conf.parquetFieldIdReadEnabled()) {
            throw new Declined(SQLConf.PARQUET_FIELD_ID_READ_ENABLED().key() + " matches columns by field id");
        }
        StructType partitionSchema = spark.partitionSchema();
        List<ParquetFiles.ListedFile> listed = new ArrayList<>();
        for (PartitionDirectory directory : CollectionConverters.asJava(spark.index().listFiles(
                CollectionConverters.asScala(partitionFilters).toSeq(), CollectionConverters.asScala(dataFilters).toSeq()))) {
            Object[] values = new Object[partitionColumns.size()];
            for (int p = 0; p < values.length; p++) {
                int ordinal = partitionSchema.fieldIndex(partitionColumns.get(p).name());
                values[p] = directory.values().get(ordinal, partitionSchema.fields()[ordinal].dataType());
            }
            GenericInternalRow partitionValues = new GenericInternalRow(values);
            for (FileStatusWithMetadata file : CollectionConverters.asJava(directory.files())) {
                listed.add(new ParquetFiles.ListedFile(file.fileStatus(), partitionValues));
            }
        }
        Configuration hadoopConf = session.sessionState().newHadoopConfWithOptions(
                scala.collection.immutable.Map.from(CollectionConverters.asScala(spark.options())));
        try {
            return ParquetFiles.listed("parquet", spark.location(), hadoopConf, listed, spark.dataSchema(), dataRead,
                    conf.caseSensitiveAnalysis(), spark.option("ignoreCorruptFiles", conf.ignoreCorruptFiles()),
                    spark.option("ignoreMissingFiles", conf.ignoreMissingFiles()));
        } catch (UnsupportedParquetException e) {
            throw new Declined(e.getMessage());
        }
    }

    /**
     * Every file must hold each read column in the table's type, except that a weighted_avg argument
     * may be held in a type whose conversion to the table's is exact (then converting the file's value
     * straight to DOUBLE gives what Spark gives); anything else is left to Spark's reader, which
     * converts it or refuses it as it does for any query.
     */
    private static void checkTypes(ParquetFiles files, StructType dataRead, Set<String> argumentsOnly)
            throws Declined {
        for (ParquetFiles.Footer footer : files.footers()) {
            for (StructField held : footer.schema().fields()) {
                DataType table = dataRead.apply(held.name()).dataType();
                if (!table.equals(held.dataType())
                        && !(argumentsOnly.contains(held.name()) && convertsExactly(held.dataType(), table))) {
                    throw new Declined("column " + held.name() + " is " + held.dataType().sql() + " in "
                            + footer.path() + " but " + table.sql() + " in the table");
                }
            }
        }
    }

    /** Whether every value of type {@code from} has the same value in type {@code to}. */
    static boolean convertsExactly(DataType from, DataType to) {
        int fromRank = integralRank(from);
        if (fromRank > 0) {
            int toRank = integralRank(to);
            return toRank >= fromRank || to == DataTypes.DoubleType && fromRank <= 3
                    || to instanceof DecimalType decimal && decimal.precision() - decimal.scale() >= new int[] {0, 3, 5, 10, 19}[fromRank];
        }
        if (from == DataTypes.FloatType) {
            return to == DataTypes.DoubleType;
        }
        if (from instanceof DecimalType a && to instanceof DecimalType b) {
            return b.scale() >= a.scale() && b.precision() - b.scale() >= a.precision() - a.scale();
        }
        return false;
    }

    /** 1 to 4 for BYTE, SHORT, INT, BIGINT; 0 for anything else. */
    private static int integralRank(DataType type) {
        return type == DataTypes.ByteType ? 1 : type == DataTypes.ShortType ? 2 : type == DataTypes.IntegerType ? 3
                : type == DataTypes.LongType ? 4 : 0;
    }

    private static List<Expression> conjuncts(Expression condition) {
        if (condition instanceof And and) {
            List<Expression> both = new ArrayList<>(conjuncts(and.left()));
            both.addAll(conjuncts(and.right()));
            return both;
        }
        return List.of(condition);
    }

    private static boolean callsWeightedAvg(Aggregate aggregate) {
        return CollectionConverters.asJava(aggregate.aggregateExpressions()).stream()
                .anyMatch(e -> ((Expression) e).find(x -> x instanceof WeightedAvg).isDefined());
    }

    /** The columns a split must read: keys, function arguments and filter inputs, in table order. */
    private static List<Attribute> readColumns(List<Attribute> columns, Aggregate aggregate, Expression condition) {
        java.util.Set<org.apache.spark.sql.catalyst.expressions.ExprId> needed = new java.util.HashSet<>();
        for (Attribute a : CollectionConverters.asJava(aggregate.references().toSeq())) {
            needed.add(a.exprId());
        }
        if (condition != null) {
            for (Attribute a : CollectionConverters.asJava(condition.references().toSeq())) {
                needed.add(a.exprId());
            }
        }
        return columns.stream().filter(c -> needed.contains(c.exprId())).toList();
    }

    /** The conjuncts of a condition that data source filters can express, for row-group skipping. */
    private static List<org.apache.spark.sql.sources.Filter> sourceFilters(Expression condition) {
        if (condition instanceof org.apache.spark.sql.catalyst.expressions.And and) {
            List<org.apache.spark.sql.sources.Filter> both = new ArrayList<>(sourceFilters(and.left()));
            both.addAll(sourceFilters(and.right()));
            return both;
        }
        Option<org.apache.spark.sql.sources.Filter> filter = DataSourceStrategy$.MODULE$.translateFilter(condition, false);
        return filter.isDefined() ? List.of(filter.get()) : List.of();
    }

    /** Looks through a projection that only selects columns. */
    private static LogicalPlan skipColumnProjection(LogicalPlan plan) {
        if (plan instanceof Project project && CollectionConverters.asJava(project.projectList()).stream()
                .allMatch(e -> e instanceof AttributeReference)) {
            return project.child();
        }
        return plan;
    }

    /** Where a column reference stands among the columns; -1 for any other expression. */
    static int indexOf(Expression expression, List<Attribute> columns) {
        if (!(expression instanceof AttributeReference reference)) {
            return -1;
        }
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).exprId().equals(reference.exprId())) {
                return i;
            }
        }
        return -1;
    }

    /** Collects the weighted_avg calls; declines when any aggregate cannot be pushed. */
    private static void collectCalls(Expression expression, List<Attribute> columns, Map<WeightedAvg, Integer> calls)
            throws Declined {
        if (expression instanceof AggregateExpression aggregate) {
            if (!(aggregate.aggregateFunction() instanceof WeightedAvg call)) {
                throw new Declined(aggregate.sql() + " is computed beside it");
            }
            if (aggregate.mode() != Complete$.MODULE$ || aggregate.isDistinct() || aggregate.filter().isDefined()) {
                throw new Declined(aggregate.sql() + " has DISTINCT or FILTER");
            }
            for (Expression argument : List.of(call.value(), call.weight())) {
                if (indexOf(argument, columns) < 0 || !(argument.dataType() instanceof NumericType)) {
                    throw new Declined(aggregate.sql() + " has an argument that is not a numeric column: "
                            + argument.sql());
                }
            }
            calls.putIfAbsent(call, calls.size());
            return;
        }
        for (Expression child : CollectionConverters.asJava(expression.children())) {
            collectCalls(child, columns, calls);
        }
    }

    private static Expression mergeCalls(Expression expression, Map<WeightedAvg, Integer> calls,
                                         List<AttributeReference> states) {
        if (expression instanceof AggregateExpression aggregate
                && aggregate.aggregateFunction() instanceof WeightedAvg call) {
            MergeWeightedAvg merge = new MergeWeightedAvg(states.get(calls.get(call)), call.output(),
                    call.kernelChoice());
            return new AggregateExpression(merge, Complete$.MODULE$, false, Option.empty(), aggregate.resultId());
        }
        List<Expression> children = new ArrayList<>();
        for (Expression child : CollectionConverters.asJava(expression.children())) {
            children.add(mergeCalls(child, calls, states));
        }
        return expression.withNewChildren(CollectionConverters.asScala(children).toSeq());
    }
}
