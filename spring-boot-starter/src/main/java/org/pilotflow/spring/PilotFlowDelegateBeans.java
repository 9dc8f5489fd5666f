package org.pilotflow.spring;

import org.pilotflow.plugin.PilotFlowPlugin;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.GenericBeanDefinition;

/**
 * Registers each delegate the models call ({@link PilotFlowPlugin#delegateNames()}) as a bean of that name, taken
 * from the plugin bean's {@link PilotFlowPlugin#delegates()}: Camunda's starter resolves the models'
 * {@code ${pilotflowSubmitUnit}} in the application context.
 */
public class PilotFlowDelegateBeans implements BeanDefinitionRegistryPostProcessor, BeanFactoryAware {

    private BeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        for (String name : PilotFlowPlugin.delegateNames()) {
            GenericBeanDefinition d = new GenericBeanDefinition();
            d.setBeanClass(Object.class);
            d.setInstanceSupplier(() -> beanFactory.getBean(PilotFlowPlugin.class).delegates().get(name));
            registry.registerBeanDefinition(name, d);
        }
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        // the definitions are all it adds
    }
}
