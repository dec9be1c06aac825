package io.wavg.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.spark.sql.catalyst.trees.TreeNode;

import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/** Plan rewriting, and the Scala collection conversions the extension's rules and plan nodes share. */
public final class Plans {
    private Plans() {}

    /**
     * Replaces, from the root down, each node for which {@code replacement} gives a new node; the
     * subtrees of replaced nodes are not visited. Returns the same tree when nothing matched.
     */
    public static <T extends TreeNode<T>> T replaceTopDown(T node, Function<T, T> replacement) {
        T replaced = replacement.apply(node);
        if (replaced != null) {
            return replaced;
        }
        List<T> children = new ArrayList<>();
        for (T child : CollectionConverters.asJava(node.children())) {
            children.add(replaceTopDown(child, replacement));
        }
        return node.withNewChildren(CollectionConverters.asScala(children).toSeq());
    }

    /** A Java list as the immutable Scala sequence plan nodes and expressions take. */
    public static <T> Seq<T> seq(List<T> items) {
        return CollectionConverters.asScala(items).toSeq();
    }

    /** Column ordinals a plan node keeps as a product element (boxed Integers) as an int array. */
    public static int[] ints(Seq<Object> ordinals) {
        return CollectionConverters.asJava(ordinals).stream().mapToInt(v -> (Integer) v).toArray();
    }
}
