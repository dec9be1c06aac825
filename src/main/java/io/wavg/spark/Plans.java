package io.wavg.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.spark.sql.catalyst.trees.TreeNode;

import scala.jdk.javaapi.CollectionConverters;

/** Plan rewriting shared by the extension's rules. */
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
}
