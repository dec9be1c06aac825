package io.wavg.spark.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.FileIndex;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.v2.DataSourceV2Relation;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A Parquet relation as Spark itself reads it, through its V1 file source ({@code spark.read.parquet},
 * {@code parquet.`path`}, catalog tables) or its V2 one: Spark's own file index, which did the
 * listing, partition discovery and schema resolution, and the relation's data and partition schemas.
 *
 * @param relation the relation to scan instead, for the pushed scan: Spark's V2 one, or one made for a
 *                 V1 relation with the same output
 */
record SparkParquetRelation(LogicalPlan plan, FileIndex index, StructType dataSchema, StructType partitionSchema,
                            Map<String, String> options, List<AttributeReference> output) {

    /** The relation a plan node reads, or null when it is not Spark's Parquet source. */
    static SparkParquetRelation of(LogicalPlan plan) {
        if (plan instanceof LogicalRelation logical && !logical.isStreaming()
                && logical.relation() instanceof HadoopFsRelation files
                && files.fileFormat() instanceof ParquetFileFormat) {
            return new SparkParquetRelation(plan, files.location(), files.dataSchema(), files.partitionSchema(),
                    CollectionConverters.asJava(files.options()), CollectionConverters.asJava(logical.output()));
        }
        if (plan instanceof DataSourceV2Relation v2
                && v2.table() instanceof org.apache.spark.sql.execution.datasources.v2.parquet.ParquetTable table) {
            return new SparkParquetRelation(plan, table.fileIndex(), table.dataSchema(),
                    table.fileIndex().partitionSchema(), v2.options().asCaseSensitiveMap(),
                    CollectionConverters.asJava(v2.output()));
        }
        return null;
    }

    /** The root paths, for EXPLAIN and messages. */
    String location() {
        List<String> roots = new ArrayList<>();
        CollectionConverters.asJava(index.rootPaths()).forEach(path -> roots.add(path.toString()));
        return roots.size() <= 3 ? String.join(", ", roots)
                : roots.stream().limit(3).collect(Collectors.joining(", ")) + ", … (" + roots.size() + " paths)";
    }

    /** Whether a column is one of the partition columns (whose values come from the directory names). */
    boolean isPartitionColumn(String name) {
        return java.util.Arrays.asList(partitionSchema.fieldNames()).contains(name);
    }

    /** A Spark boolean read option, which the relation's options set over the session's setting. */
    boolean option(String key, boolean sessionDefault) {
        String value = new CaseInsensitiveStringMap(options).get(key);
        return value == null ? sessionDefault : Boolean.parseBoolean(value);
    }

    /** The V2 relation the pushed scan is planned under: Spark's own, or one standing for a V1 relation. */
    DataSourceV2Relation v2Relation(ParquetFiles files) {
        if (plan instanceof DataSourceV2Relation v2) {
            return v2;
        }
        return new DataSourceV2Relation(new ParquetTable(files), CollectionConverters.asScala(output).toSeq(),
                Option.empty(), Option.empty(), new CaseInsensitiveStringMap(options), Option.empty());
    }
}
