package io.wavg.spark.source;

import java.util.Map;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The {@value #NAME} data source: Parquet read page by page in bounded memory, with weighted_avg
 * computed inside the scan. {@code spark.read.format("wavg_parquet").load(path)} or
 * {@code CREATE TEMPORARY VIEW t USING wavg_parquet OPTIONS (path '…')}.
 */
public final class WeightedAvgParquetSource implements TableProvider, DataSourceRegister {
    public static final String NAME = "wavg_parquet";

    @Override
    public String shortName() {
        return NAME;
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        return ParquetFiles.of(SparkSession.active(), options).schema();
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        return new ParquetTable(ParquetFiles.of(SparkSession.active(), new CaseInsensitiveStringMap(properties)));
    }
}
