"""The original tutorial's training and PR curves, as a learner runs it: the course's baseline.

"Visualizing Models, Data, and Training with TensorBoard" (PyTorch tutorials), written out
faithfully: the tutorial's `Net`, a `DataLoader` of 4 images with 2 worker processes over the
transformed dataset, SGD(lr=0.001, momentum=0.9), one epoch (15,000 steps), the running loss
and a 4-image "predictions vs. actuals" figure (12 x 48 inches) every 1,000 steps, then the
test-set probabilities image by image with a per-element softmax, and one PR curve per class.
Its known defects are kept on purpose (they are what it costs), except that the PR curves
use the true labels. Only one thing is added: the test accuracy, computed from the
probabilities the script already has, and the timings, printed as one JSON line at the end.

The tutorial's code is Copyright (c) 2017-2022, Pytorch contributors, under the BSD 3-Clause
licence; its notice is kept in the course's LICENSE.

Usage (the benchmark runs it; it writes to a temporary log directory of its own):
    python benchmarks/tutorial_baseline.py --data data --logdir /tmp/baseline-run
    python benchmarks/tutorial_baseline.py --data data --logdir /tmp/x --steps 1000 --test-images 1000
"""

import argparse
import json
import time

import matplotlib

matplotlib.use("Agg")  # the script runs headless, as in a terminal without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.optim as optim  # noqa: E402
import torchvision  # noqa: E402
import torchvision.transforms as transforms  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

# constant for classes
classes = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle Boot')


# helper function to show an image
def matplotlib_imshow(img, one_channel=False):
    if one_channel:
        img = img.mean(dim=0)
    img = img / 2 + 0.5     # unnormalize
    npimg = img.numpy()
    if one_channel:
        plt.imshow(npimg, cmap="Greys")
    else:
        plt.imshow(np.transpose(npimg, (1, 2, 0)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def images_to_probs(net, images):
    '''
    Generates predictions and corresponding probabilities from a trained
    network and a list of images
    '''
    output = net(images)
    # convert output probabilities to predicted class
    _, preds_tensor = torch.max(output, 1)
    preds = np.squeeze(preds_tensor.numpy())
    return preds, [F.softmax(el, dim=0)[i].item() for i, el in zip(preds, output)]


def plot_classes_preds(net, images, labels):
    '''
    Generates matplotlib Figure using a trained network, along with images
    and labels from a batch, that shows the network's top prediction along
    with its probability, alongside the actual label, coloring this
    information based on whether the prediction was correct or not.
    Uses the "images_to_probs" function.
    '''
    preds, probs = images_to_probs(net, images)
    # plot the images in the batch, along with predicted and true labels
    fig = plt.figure(figsize=(12, 48))
    for idx in np.arange(4):
        ax = fig.add_subplot(1, 4, idx+1, xticks=[], yticks=[])
        matplotlib_imshow(images[idx], one_channel=True)
        ax.set_title(f"{classes[preds[idx]]}, {probs[idx] * 100.0:.1f}%\n(label: {classes[labels[idx]]})",
                    color=("green" if preds[idx]==labels[idx].item() else "red"))
    return fig


def main(data_root, logdir, max_steps=None, test_images=None):
    t_start = time.perf_counter()

    # transforms
    transform = transforms.Compose(
        [transforms.ToTensor(),
        transforms.Normalize((0.5,), (0.5,))])

    # datasets
    trainset = torchvision.datasets.FashionMNIST(data_root,
        download=False,
        train=True,
        transform=transform)
    testset = torchvision.datasets.FashionMNIST(data_root,
        download=False,
        train=False,
        transform=transform)
    if test_images is not None:  # --quick only
        testset = torch.utils.data.Subset(testset, range(test_images))

    # dataloaders
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4,
                                            shuffle=True, num_workers=2)

    testloader = torch.utils.data.DataLoader(testset, batch_size=4,
                                            shuffle=False, num_workers=2)

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    # default `log_dir` is "runs" - we'll be more specific here
    writer = SummaryWriter(logdir)

    t_loop = time.perf_counter()
    running_loss = 0.0
    for epoch in range(1):  # loop over the dataset multiple times

        for i, data in enumerate(trainloader, 0):

            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            if i % 1000 == 999:    # every 1000 mini-batches...

                # ...log the running loss
                writer.add_scalar('training loss',
                                running_loss / 1000,
                                epoch * len(trainloader) + i)

                # ...log a Matplotlib Figure showing the model's predictions on a
                # random mini-batch
                writer.add_figure('predictions vs. actuals',
                                plot_classes_preds(net, inputs, labels),
                                global_step=epoch * len(trainloader) + i)
                running_loss = 0.0
            if max_steps is not None and i + 1 >= max_steps:  # --quick only
                break
    print('Finished Training')
    loop_seconds = time.perf_counter() - t_loop
    steps = i + 1

    # 1. gets the probability predictions in a test_size x num_classes Tensor
    # 2. gets the preds in a test_size Tensor
    # takes ~10 seconds to run
    t_eval = time.perf_counter()
    class_probs = []
    class_label = []
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            output = net(images)
            class_probs_batch = [F.softmax(el, dim=0) for el in output]

            class_probs.append(class_probs_batch)
            class_label.append(labels)

    test_probs = torch.cat([torch.stack(batch) for batch in class_probs])
    test_label = torch.cat(class_label)
    eval_seconds = time.perf_counter() - t_eval

    # helper function
    def add_pr_curve_tensorboard(class_index, test_probs, test_label, global_step=0):
        '''
        Takes in a "class_index" from 0 to 9 and plots the corresponding
        precision-recall curve
        '''
        tensorboard_truth = test_label == class_index
        tensorboard_probs = test_probs[:, class_index]

        writer.add_pr_curve(classes[class_index],
                            tensorboard_truth,
                            tensorboard_probs,
                            global_step=global_step)
        writer.close()

    # plot all the pr curves
    t_pr = time.perf_counter()
    for i in range(len(classes)):
        add_pr_curve_tensorboard(i, test_probs, test_label)
    pr_seconds = time.perf_counter() - t_pr

    print(json.dumps({
        "steps": steps,
        "loop_seconds": loop_seconds,
        "eval_seconds": eval_seconds,
        "pr_curves_seconds": pr_seconds,
        "script_seconds": time.perf_counter() - t_start,
        "test_images": len(test_label),
        "test_accuracy": (test_probs.argmax(dim=1) == test_label).float().mean().item(),
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder holding FashionMNIST/raw/")
    parser.add_argument("--logdir", required=True, help="where the event files go")
    parser.add_argument("--steps", type=int, help="stop the epoch after this many steps (quick runs)")
    parser.add_argument("--test-images", type=int, help="use only the first N test images (quick runs)")
    args = parser.parse_args()
    main(args.data, args.logdir, args.steps, args.test_images)
